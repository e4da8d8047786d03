#include "sample_gallery.h"

#include "image_convert.h"

#include "core/image_util.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QSlider>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

SampleGallery::SampleGallery(QWidget* parent) : QWidget(parent) {
    m_list = new QListWidget;
    m_list->setViewMode(QListView::IconMode);
    m_list->setResizeMode(QListView::Adjust);
    m_list->setMovement(QListView::Static);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setUniformItemSizes(true);
    m_list->setSpacing(2);
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    m_list->setToolTip(tr("Generated samples. Double-click to refine one; right-click for more."));

    m_zoom = new QSlider(Qt::Horizontal);
    m_zoom->setRange(1, 8);
    m_zoom->setValue(3);
    m_zoom->setToolTip(tr("Thumbnail zoom (nearest-neighbour, whole pixels)"));
    auto* zoomRow = new QHBoxLayout;
    zoomRow->addWidget(new QLabel(tr("Zoom")));
    zoomRow->addWidget(m_zoom, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_list, 1);
    layout->addLayout(zoomRow);

    connect(m_zoom, &QSlider::valueChanged, this, &SampleGallery::refreshIcons);
    connect(m_list, &QListWidget::currentRowChanged, this, &SampleGallery::currentChanged);
    connect(m_list, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem* item) { emit refineRequested(m_list->row(item)); });
    connect(m_list, &QListWidget::customContextMenuRequested, this, [this](const QPoint& at) {
        const int row = m_list->indexAt(at).row();
        if (row < 0) return;
        QMenu menu(this);
        menu.addAction(tr("Refine and inspect"), this, [this, row] { emit refineRequested(row); });
        menu.addAction(tr("Send to editor"), this, [this, row] { emit sendToEditorRequested(row); });
        menu.addSeparator();
        menu.addAction(tr("Save selected…"), this, &SampleGallery::saveSelectedRequested);
        menu.addAction(tr("Copy"), this, &SampleGallery::copyRequested);
        menu.exec(m_list->viewport()->mapToGlobal(at));
    });
}

void SampleGallery::setSamples(const QVector<QImage>& images, const QVector<QVariantMap>& settings) {
    m_images = images;
    m_settings = settings;
    m_settings.resize(images.size());
    m_list->clear();
    for (int i = 0; i < images.size(); ++i) {
        auto* item = new QListWidgetItem;
        item->setToolTip(tr("Seed %1").arg(m_settings[i].value("seed").toString()));
        m_list->addItem(item);
    }
    refreshIcons();
    if (!images.isEmpty()) m_list->setCurrentRow(0);
}

void SampleGallery::clear() { setSamples({}, {}); }

QSize SampleGallery::thumbnailSize(const QSize& image, int zoom) {
    // Small images (28-32 px) grow by whole pixels; from 64 px the same slider steps through fractions
    // of the image so a 256 px batch still shows several images a row: 1/4, 1/2, 3/4, 1, ... 2x.
    if (image.width() < 64) return image * zoom;
    return image * (zoom / 4.0);
}

void SampleGallery::refreshIcons() {
    m_nextIcon = 0;
    if (m_images.isEmpty()) return;
    const QSize size = thumbnailSize(m_images.front().size(), m_zoom->value());
    m_list->setIconSize(size);
    m_list->setGridSize(size + QSize(6, 6));
    buildSomeIcons();
}

void SampleGallery::buildSomeIcons() {
    // A few icons per event-loop turn: a 1,000-image batch never holds the GUI thread for long.
    constexpr int kIconsPerTurn = 32;
    const QSize size = m_list->iconSize();
    const int end = std::min(int(m_images.size()), m_nextIcon + kIconsPerTurn);
    for (; m_nextIcon < end; ++m_nextIcon) {
        // The same pixmap for the selected state: a tinted sample would misreport its pixels.
        // Whole-pixel enlargements stay sharp; reductions (64 and 256 px models) are smoothed.
        const QImage& image = m_images[m_nextIcon];
        const Qt::TransformationMode mode =
            size.width() >= image.width() ? Qt::FastTransformation : Qt::SmoothTransformation;
        const QPixmap pixmap = QPixmap::fromImage(image.scaled(size, Qt::IgnoreAspectRatio, mode));
        QIcon icon;
        icon.addPixmap(pixmap, QIcon::Normal);
        icon.addPixmap(pixmap, QIcon::Selected);
        m_list->item(m_nextIcon)->setIcon(icon);
    }
    if (m_nextIcon < m_images.size()) QTimer::singleShot(0, this, &SampleGallery::buildSomeIcons);
}

int SampleGallery::count() const { return int(m_images.size()); }
QImage SampleGallery::image(int index) const { return m_images.value(index); }
QVariantMap SampleGallery::settings(int index) const { return m_settings.value(index); }
int SampleGallery::currentIndex() const { return m_list->currentRow(); }
void SampleGallery::setCurrentIndex(int index) { m_list->setCurrentRow(index); }

QVector<int> SampleGallery::selectedIndices() const {
    QVector<int> rows;
    for (const QModelIndex& index : m_list->selectionModel()->selectedIndexes()) rows.push_back(index.row());
    std::sort(rows.begin(), rows.end());
    return rows;
}

int SampleGallery::columns() const {
    return std::max(1, int(std::ceil(std::sqrt(double(m_images.size())))));
}

QImage SampleGallery::gridImage() const {
    if (m_images.isEmpty()) return {};
    std::vector<cv::Mat> tiles;
    const int channels = m_images.front().format() == QImage::Format_Grayscale8 ? 1 : 3;
    for (const QImage& image : m_images) tiles.push_back(qImageTo8U(image, channels));
    return matToQImage(cm::makeGrid(tiles, columns()));
}
