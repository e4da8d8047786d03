#include "sample_gallery.h"

#include "image_convert.h"
#include "thumbnails.h"

#include "core/image_util.h"

#include <QCheckBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QSlider>
#include <QTimer>
#include <QVBoxLayout>

#include <QPainter>
#include <QStyledItemDelegate>

#include <algorithm>
#include <cmath>

namespace {

// Draws a thumbnail as it is (no tint: a tinted sample would misreport its pixels) and shows the selection
// as a frame in the gap around it, the current one with a dotted line inside the frame's place.
class ThumbnailDelegate : public QStyledItemDelegate {
  public:
    using QStyledItemDelegate::QStyledItemDelegate;
    static constexpr int kGap = 3; // each side of a thumbnail: room for the selection frame

    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const override {
        // The whole grid cell: a change of selection repaints the frame's pixels too.
        return option.decorationSize + QSize(2 * kGap, 2 * kGap);
    }
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
        const QPixmap pixmap = index.data(Qt::DecorationRole).value<QPixmap>();
        const QSize size = pixmap.isNull() ? option.decorationSize : pixmap.deviceIndependentSize().toSize();
        QRect image(QPoint(0, 0), size);
        image.moveCenter(option.rect.center());
        if (!pixmap.isNull()) painter->drawPixmap(image, pixmap);
        const bool selected = option.state & QStyle::State_Selected;
        const bool current = option.state & QStyle::State_HasFocus;
        if (!selected && !current) return;
        painter->save();
        QPen pen(option.palette.color(QPalette::Highlight), selected ? 3 : 1, selected ? Qt::SolidLine : Qt::DotLine);
        pen.setJoinStyle(Qt::MiterJoin);
        painter->setPen(pen);
        painter->setBrush(Qt::NoBrush);
        // Outside the image, in the 3-pixel gap of the grid: the frame never covers a pixel of the sample.
        const double half = selected ? 1.5 : 0.5;
        painter->drawRect(QRectF(image).adjusted(-half, -half, half, half));
        painter->restore();
    }
};

} // namespace

SampleGallery::SampleGallery(QWidget* parent) : QWidget(parent) {
    m_list = new QListWidget;
    m_list->setViewMode(QListView::IconMode);
    m_list->setResizeMode(QListView::Adjust);
    m_list->setMovement(QListView::Static);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setUniformItemSizes(true);
    m_list->setSpacing(kSpacing);
    m_list->setItemDelegate(new ThumbnailDelegate(m_list));
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    m_list->setToolTip(tr("Generated samples. Double-click to refine one; right-click for more."));

    m_zoom = new QSlider(Qt::Horizontal);
    m_zoom->setRange(1, kMaxZoom);
    m_zoom->setValue(3);
    m_zoom->setToolTip(tr("Thumbnail size: whole-pixel zoom for small images, quarters of large ones"));
    m_zoomValue = new QLabel;
    m_fit = new QCheckBox(tr("Fit"));
    m_fit->setToolTip(tr("The largest whole zoom at which the batch fits the gallery; it grows with the window"));
    m_fit->setChecked(true);
    auto* zoomRow = new QHBoxLayout;
    zoomRow->addWidget(new QLabel(tr("Zoom")));
    zoomRow->addWidget(m_zoom, 1);
    zoomRow->addWidget(m_zoomValue);
    zoomRow->addWidget(m_fit);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_list, 1);
    layout->addLayout(zoomRow);

    connect(m_zoom, &QSlider::valueChanged, this, [this] {
        showZoomValue();
        if (!m_fitting) m_fit->setChecked(false); // the user chose a zoom
        refreshIcons();
    });
    connect(m_fit, &QCheckBox::toggled, this, [this](bool on) {
        if (on) fitZoom();
    });
    m_list->viewport()->installEventFilter(this);
    connect(m_list, &QListWidget::currentRowChanged, this, &SampleGallery::currentChanged);
    connect(m_list, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem* item) {
                if (m_refineOffered)
                    emit refineRequested(m_list->row(item));
                else
                    emit sendToEditorRequested(m_list->row(item));
            });
    connect(m_list, &QListWidget::customContextMenuRequested, this, [this](const QPoint& at) {
        const int row = m_list->indexAt(at).row();
        if (row < 0) return;
        QMenu menu(this);
        if (m_refineOffered) menu.addAction(tr("Refine and inspect"), this, [this, row] { emit refineRequested(row); });
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
        // The Style view's images name their prompt first.
        const QString name = m_settings[i].value("prompt").toString();
        item->setToolTip(name.isEmpty() ? tr("Seed %1").arg(m_settings[i].value("seed").toString())
                                        : tr("%1, seed %2").arg(name, m_settings[i].value("seed").toString()));
        m_list->addItem(item);
    }
    const int zoomBefore = m_zoom->value();
    if (m_fit->isChecked()) fitZoom(); // a changed zoom refreshes the icons itself
    if (m_zoom->value() == zoomBefore) refreshIcons();
    showZoomValue();
    if (!images.isEmpty()) m_list->setCurrentRow(0);
}

bool SampleGallery::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_list->viewport() && event->type() == QEvent::Resize) {
        if (m_fit->isChecked()) fitZoom();
        updateGrid();
    }
    return QWidget::eventFilter(watched, event);
}

int SampleGallery::fittingZoom(QSize image, int count, QSize area, int rowLength) {
    if (count <= 0 || image.isEmpty()) return 1;
    constexpr int kCellExtra = 2 * ThumbnailDelegate::kGap + 2 * kSpacing;
    for (int zoom = kMaxZoom; zoom > 1; --zoom) {
        const QSize thumbnail = thumbnailSize(image, zoom);
        int columns = area.width() / (thumbnail.width() + kCellExtra);
        if (rowLength > 0) columns = columns >= rowLength ? rowLength : 0;
        if (columns < 1) continue;
        const int rows = (count + columns - 1) / columns;
        if (rows * (thumbnail.height() + kCellExtra) <= area.height()) return zoom;
    }
    return 1;
}

void SampleGallery::fitZoom() {
    if (m_images.isEmpty()) return;
    // Without scroll bars: the size the batch has if it fits.
    const QSize area = m_list->maximumViewportSize() - QSize(4, 4);
    int zoom = fittingZoom(m_images.front().size(), int(m_images.size()), area, m_rowLength);
    // A batch too large to fit scrolls, with thumbnails of at least 56 pixels (28 px images at 2x).
    if (zoom == 1 && m_images.front().width() < 64) zoom = std::clamp(56 / std::max(1, m_images.front().width()), 1, kMaxZoom);
    m_fitting = true;
    m_zoom->setValue(zoom);
    m_fitting = false;
}

int SampleGallery::zoom() const { return m_zoom->value(); }

void SampleGallery::showZoomValue() {
    // The thumbnails' width in pixels: the slider's steps are whole pixels for small images, quarters of
    // large ones.
    m_zoomValue->setText(m_images.isEmpty() ? QString()
                                            : tr("%1 px").arg(thumbnailSize(m_images.front().size(), zoom()).width()));
}

void SampleGallery::clear() { setSamples({}, {}); }


void SampleGallery::refreshIcons() {
    m_nextIcon = 0;
    if (m_images.isEmpty()) return;
    const QSize size = thumbnailSize(m_images.front().size(), m_zoom->value());
    m_list->setIconSize(size);
    updateGrid();
    buildSomeIcons();
}

void SampleGallery::setRowLength(int length) {
    m_rowLength = std::max(0, length);
    if (m_fit->isChecked()) fitZoom();
    updateGrid();
}

void SampleGallery::updateGrid() {
    if (m_images.isEmpty()) return;
    QSize cell = m_list->iconSize() + QSize(2 * ThumbnailDelegate::kGap, 2 * ThumbnailDelegate::kGap);
    // Cells as wide as a row of m_rowLength allows: the list then wraps after exactly that many (the
    // delegate centres each thumbnail in its cell). Each cell is followed by the list's spacing, and the
    // row ends a margin before the viewport's edge.
    if (m_rowLength > 0)
        cell.setWidth(std::max(cell.width(), (m_list->viewport()->width() - 4 * kSpacing) / m_rowLength - 2 * kSpacing));
    if (m_list->gridSize() != cell) m_list->setGridSize(cell);
}

void SampleGallery::buildSomeIcons() {
    // A few icons per event-loop turn: a 1,000-image batch never holds the GUI thread for long.
    constexpr int kIconsPerTurn = 32;
    const QSize size = m_list->iconSize();
    const int end = std::min(int(m_images.size()), m_nextIcon + kIconsPerTurn);
    for (; m_nextIcon < end; ++m_nextIcon) {
        m_list->item(m_nextIcon)->setData(Qt::DecorationRole, thumbnailPixmap(m_images[m_nextIcon], size));
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
    if (m_rowLength > 0) return m_rowLength;
    return std::max(1, int(std::ceil(std::sqrt(double(m_images.size())))));
}

QImage SampleGallery::gridImage() const {
    if (m_images.isEmpty()) return {};
    std::vector<cv::Mat> tiles;
    const int channels = m_images.front().format() == QImage::Format_Grayscale8 ? 1 : 3;
    for (const QImage& image : m_images) tiles.push_back(qImageTo8U(image, channels));
    return matToQImage(cm::makeGrid(tiles, columns()));
}
