#include "thumbnail_strip.h"

#include "thumbnails.h"

#include <QHBoxLayout>
#include <QToolButton>

ThumbnailStrip::ThumbnailStrip(QWidget* parent) : QWidget(parent) {
    m_layout = new QHBoxLayout(this);
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(4);
    m_layout->addStretch(1);
}

void ThumbnailStrip::setImages(const QVector<QImage>& images, const QStringList& captions) {
    m_images = images;
    m_captions = captions;
    rebuild();
}

void ThumbnailStrip::clear() { setImages({}, {}); }

void ThumbnailStrip::setZoom(int zoom) {
    m_zoom = zoom;
    rebuild();
}

void ThumbnailStrip::rebuild() {
    while (QLayoutItem* item = m_layout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (int i = 0; i < m_images.size(); ++i) {
        auto* button = new QToolButton;
        button->setToolButtonStyle(Qt::ToolButtonTextUnderIcon);
        const QSize size = thumbnailSize(m_images[i].size(), m_zoom);
        button->setIconSize(size);
        button->setIcon(QIcon(thumbnailPixmap(m_images[i], size)));
        button->setText(m_captions.value(i));
        button->setAutoRaise(true);
        connect(button, &QToolButton::clicked, this, [this, i] { emit clicked(i); });
        m_layout->addWidget(button);
    }
    m_layout->addStretch(1);
}
