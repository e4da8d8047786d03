#include "ui/image_inspector.h"

#include <QAbstractSpinBox>
#include <QCursor>
#include <QEnterEvent>
#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QPainter>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSlider>
#include <QTextEdit>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <algorithm>
#include <array>
#include <cmath>

namespace {

constexpr std::array<double, 10> kZoomSteps = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32};
constexpr int kSliderSteps = 1000;
// From this zoom on, a faint grid separates the pixels.
constexpr double kGridZoom = 8.0;

bool isGreyImage(const QImage& image) {
    return image.format() == QImage::Format_Grayscale8 || image.format() == QImage::Format_Grayscale16 ||
           (image.colorCount() > 0 && image.isGrayscale());
}

QString modelScale(int value) {
    return QString::number(value / 127.5 - 1.0, 'f', 3);
}

// The next zoom step above (or below) `current`, which need not be a step itself (a fit zoom).
double steppedZoom(double current, bool in) {
    if (in) {
        for (double step : kZoomSteps)
            if (step > current + 1e-6) return step;
        return kZoomSteps.back();
    }
    double next = kZoomSteps.front();
    for (double step : kZoomSteps)
        if (step < current - 1e-6) next = step;
    return next;
}

QString zoomText(double zoom) {
    return QString::number(zoom, 'g', 3);
}

} // namespace

// The zoomed image inside the scroll area; painting and input are the inspector's.
class ImageInspector::View : public QWidget {
  public:
    explicit View(ImageInspector* owner) : m_owner(owner) {
        setMouseTracking(true);
        setFocusPolicy(Qt::WheelFocus);
        setAttribute(Qt::WA_OpaquePaintEvent);
    }

  protected:
    void paintEvent(QPaintEvent*) override {
        QPainter painter(this);
        m_owner->paintView(painter);
    }
    void wheelEvent(QWheelEvent* event) override {
        const int delta = event->angleDelta().y();
        if (delta == 0 || m_owner->m_image.isNull()) return;
        m_owner->zoomAround(steppedZoom(m_owner->zoom(), delta > 0), event->position());
        event->accept();
    }
    void mousePressEvent(QMouseEvent* event) override {
        if (event->button() == Qt::LeftButton && m_owner->isComparing()) {
            m_dragging = true;
            moveDivider(event->position());
            event->accept();
            return;
        }
        QWidget::mousePressEvent(event);
    }
    void mouseMoveEvent(QMouseEvent* event) override {
        if (m_dragging && (event->buttons() & Qt::LeftButton)) moveDivider(event->position());
        m_owner->showReadout(event->position());
        if (m_owner->isComparing()) {
            const QRectF r = m_owner->imageRect();
            const double divider = r.left() + m_owner->m_comparePosition * r.width();
            setCursor(m_dragging || std::abs(event->position().x() - divider) <= 4 ? Qt::SplitHCursor
                                                                                   : Qt::CrossCursor);
        } else {
            setCursor(Qt::CrossCursor);
        }
    }
    void mouseReleaseEvent(QMouseEvent* event) override {
        if (event->button() == Qt::LeftButton) m_dragging = false;
        QWidget::mouseReleaseEvent(event);
    }
    void enterEvent(QEnterEvent* event) override {
        // The zoom keys (+, -, 0) work on the image under the pointer without a click first; a field the
        // user is typing in keeps the keyboard.
        QWidget* focus = window()->focusWidget();
        if (!qobject_cast<QLineEdit*>(focus) && !qobject_cast<QAbstractSpinBox*>(focus) &&
            !qobject_cast<QPlainTextEdit*>(focus) && !qobject_cast<QTextEdit*>(focus))
            setFocus(Qt::MouseFocusReason);
        QWidget::enterEvent(event);
    }
    void leaveEvent(QEvent* event) override {
        m_owner->showReadout(QPointF(-1e9, -1e9));
        QWidget::leaveEvent(event);
    }
    void keyPressEvent(QKeyEvent* event) override {
        switch (event->key()) {
        case Qt::Key_Plus:
        case Qt::Key_Equal:
            m_owner->zoomIn();
            break;
        case Qt::Key_Minus:
            m_owner->zoomOut();
            break;
        case Qt::Key_0:
            m_owner->fitToView();
            break;
        default:
            QWidget::keyPressEvent(event);
            return;
        }
        event->accept();
    }

  private:
    void moveDivider(const QPointF& pos) {
        const QRectF r = m_owner->imageRect();
        if (r.width() > 0) m_owner->setComparePosition((pos.x() - r.left()) / r.width());
    }

    ImageInspector* m_owner;
    bool m_dragging = false;
};

ImageInspector::ImageInspector(QWidget* parent) : QWidget(parent) {
    auto makeButton = [this](const QString& iconName, const QString& fallback, const QString& toolTip) {
        auto* button = new QToolButton(this);
        const QIcon icon = QIcon::fromTheme(iconName);
        if (icon.isNull())
            button->setText(fallback);
        else
            button->setIcon(icon);
        button->setToolTip(toolTip);
        button->setAutoRaise(true);
        return button;
    };
    m_zoomOutButton = makeButton(QStringLiteral("zoom-out"), QStringLiteral("\u2212"), tr("Zoom out (-)"));
    m_zoomInButton =
        makeButton(QStringLiteral("zoom-in"), QStringLiteral("+"), tr("Zoom in (+ or mouse wheel)"));
    m_fitButton = makeButton(QStringLiteral("zoom-fit-best"), tr("Fit"), tr("Fit the image to the view (0)"));
    m_fitButton->setCheckable(true);
    m_zoomLabel = new QLabel(this);
    m_zoomLabel->setToolTip(tr("Screen pixels per image pixel"));
    m_zoomLabel->setMinimumWidth(m_zoomLabel->fontMetrics().horizontalAdvance(
        tr("Fit %1x").arg(QStringLiteral("32.0")) + QStringLiteral("  ")));
    connect(m_zoomOutButton, &QToolButton::clicked, this, &ImageInspector::zoomOut);
    connect(m_zoomInButton, &QToolButton::clicked, this, &ImageInspector::zoomIn);
    connect(m_fitButton, &QToolButton::clicked, this, &ImageInspector::fitToView);

    auto* zoomRow = new QHBoxLayout;
    zoomRow->setContentsMargins(0, 0, 0, 0);
    zoomRow->addWidget(m_zoomOutButton);
    zoomRow->addWidget(m_zoomLabel);
    zoomRow->addWidget(m_zoomInButton);
    zoomRow->addWidget(m_fitButton);
    zoomRow->addStretch(1);

    m_view = new View(this);
    m_scroll = new QScrollArea(this);
    m_scroll->setWidgetResizable(false);
    m_scroll->setWidget(m_view);
    m_scroll->viewport()->installEventFilter(this);
    m_scroll->setMinimumSize(96, 96);

    m_compareRow = new QWidget(this);
    auto* compareLayout = new QHBoxLayout(m_compareRow);
    compareLayout->setContentsMargins(0, 0, 0, 0);
    m_compareSlider = new QSlider(Qt::Horizontal, m_compareRow);
    m_compareSlider->setRange(0, kSliderSteps);
    m_compareSlider->setValue(int(std::lround(m_comparePosition * kSliderSteps)));
    m_compareSlider->setToolTip(tr("Move the divider: before is shown on the left, after on the right"));
    compareLayout->addWidget(new QLabel(tr("Before"), m_compareRow));
    compareLayout->addWidget(m_compareSlider, 1);
    compareLayout->addWidget(new QLabel(tr("After"), m_compareRow));
    connect(m_compareSlider, &QSlider::valueChanged, this,
            [this](int value) { setComparePosition(double(value) / kSliderSteps); });
    m_compareRow->hide();

    m_readout = new QLabel(this);
    m_readout->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Wrapped, so a long RGB comparison never widens the panel; two lines tall, so the view does not
    // jump when the text wraps.
    m_readout->setWordWrap(true);
    m_readout->setMinimumHeight(2 * QFontMetrics(m_readout->font()).lineSpacing());
    m_readout->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_readout->setToolTip(tr("The pixel under the pointer: 8-bit value and the model's scale v / 127.5 - 1"));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(zoomRow);
    layout->addWidget(m_scroll, 1);
    layout->addWidget(m_compareRow);
    layout->addWidget(m_readout);

    showReadout(QPointF(-1e9, -1e9));
    updateControls();
}

ImageInspector::~ImageInspector() = default;

QWidget* ImageInspector::view() const {
    return m_view;
}

void ImageInspector::setImage(const QImage& image) {
    m_image = image;
    m_after = {};
    m_compareRow->hide();
    m_hoverPixel = {-1, -1};
    layout()->activate(); // the view's size depends on whether the compare row is shown
    relayout();
    refreshReadout();
}

void ImageInspector::setComparison(const QImage& before, const QImage& after) {
    m_image = before;
    m_after = after;
    if (!m_image.isNull() && !m_after.isNull() && m_after.size() != m_image.size())
        m_after = m_after.scaled(m_image.size(), Qt::IgnoreAspectRatio, Qt::FastTransformation);
    if (m_image.isNull()) m_after = {};
    m_compareRow->setVisible(isComparing());
    m_hoverPixel = {-1, -1};
    layout()->activate();
    relayout();
    refreshReadout();
}

void ImageInspector::clear() {
    setImage({});
}

// ---- Zoom and geometry ----------------------------------------------------------------------------

double ImageInspector::zoom() const {
    if (m_image.isNull()) return 1.0;
    if (!m_fit) return m_zoom;
    const QSize area = m_scroll->viewport()->size();
    const double fit =
        std::min(double(area.width()) / m_image.width(), double(area.height()) / m_image.height());
    // Whole device pixels per image pixel, so all pixels are drawn the same size; below 1x (an image
    // larger than the view) the fit is fractional.
    const double dpr = devicePixelRatioF();
    const double devicePixels = std::floor(fit * dpr);
    if (devicePixels < 1) return fit;
    return std::min(devicePixels / dpr, kMaxZoom);
}

QRectF ImageInspector::imageRect() const {
    if (m_image.isNull()) return {};
    const double z = zoom();
    const QSizeF size(m_image.width() * z, m_image.height() * z);
    const double dpr = devicePixelRatioF();
    const double left = std::round((m_view->width() - size.width()) / 2 * dpr) / dpr;
    const double top = std::round((m_view->height() - size.height()) / 2 * dpr) / dpr;
    return {QPointF(left, top), size};
}

QPoint ImageInspector::imagePixelAt(const QPointF& viewPos) const {
    if (m_image.isNull()) return {-1, -1};
    const QRectF r = imageRect();
    const QPointF p = (viewPos - r.topLeft()) / zoom();
    const QPoint pixel(int(std::floor(p.x())), int(std::floor(p.y())));
    return m_image.rect().contains(pixel) ? pixel : QPoint(-1, -1);
}

void ImageInspector::relayout() {
    const QSize area = m_scroll->viewport()->size();
    if (m_image.isNull() || m_fit) {
        m_view->resize(area);
    } else {
        const double z = zoom();
        m_view->resize(std::max(area.width(), int(std::ceil(m_image.width() * z))),
                       std::max(area.height(), int(std::ceil(m_image.height() * z))));
    }
    updateControls();
    m_view->update();
}

void ImageInspector::zoomAround(double zoom, const QPointF& anchor) {
    if (m_image.isNull()) return;
    zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    const double before = this->zoom();
    const QPointF imagePoint = (anchor - imageRect().topLeft()) / before;
    const QPointF inViewport = anchor + QPointF(m_view->pos());
    const bool wasFit = m_fit;
    m_fit = false;
    m_zoom = zoom;
    relayout();
    const QPointF anchorNow = imageRect().topLeft() + imagePoint * zoom;
    m_scroll->horizontalScrollBar()->setValue(int(std::lround(anchorNow.x() - inViewport.x())));
    m_scroll->verticalScrollBar()->setValue(int(std::lround(anchorNow.y() - inViewport.y())));
    if (wasFit || zoom != before) emit zoomChanged(zoom);
}

void ImageInspector::setZoom(double zoom) {
    const QPointF centre = m_view->mapFrom(m_scroll->viewport(), m_scroll->viewport()->rect().center());
    zoomAround(zoom, centre);
}

void ImageInspector::zoomIn() {
    setZoom(steppedZoom(zoom(), true));
}

void ImageInspector::zoomOut() {
    setZoom(steppedZoom(zoom(), false));
}

void ImageInspector::fitToView() {
    m_fit = true;
    relayout();
    emit zoomChanged(zoom());
}

void ImageInspector::setComparePosition(double position) {
    position = std::clamp(position, 0.0, 1.0);
    if (position == m_comparePosition) return;
    m_comparePosition = position;
    {
        const QSignalBlocker blocker(m_compareSlider);
        m_compareSlider->setValue(int(std::lround(position * kSliderSteps)));
    }
    m_view->update();
    emit comparePositionChanged(position);
}

void ImageInspector::updateControls() {
    const bool hasImage = !m_image.isNull();
    const double z = zoom();
    m_zoomLabel->setText(!hasImage ? QString()
                         : m_fit   ? tr("Fit %1x").arg(zoomText(z))
                                   : tr("%1x").arg(zoomText(z)));
    m_zoomInButton->setEnabled(hasImage && z < kMaxZoom);
    m_zoomOutButton->setEnabled(hasImage && (m_fit || z > kMinZoom));
    m_fitButton->setEnabled(hasImage);
    m_fitButton->setChecked(m_fit);
}

bool ImageInspector::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_scroll->viewport() && event->type() == QEvent::Resize) relayout();
    return QWidget::eventFilter(watched, event);
}

// ---- Read-out -------------------------------------------------------------------------------------

QString ImageInspector::valueText(const QImage& image, const QPoint& pixel) const {
    if (isGreyImage(image)) {
        const int v = qGray(image.pixel(pixel));
        return tr("%1 (model %2)").arg(v).arg(modelScale(v));
    }
    const QRgb rgb = image.pixel(pixel);
    return tr("RGB %1, %2, %3 (model %4, %5, %6)")
        .arg(qRed(rgb))
        .arg(qGreen(rgb))
        .arg(qBlue(rgb))
        .arg(modelScale(qRed(rgb)), modelScale(qGreen(rgb)), modelScale(qBlue(rgb)));
}

QString ImageInspector::pixelTextAt(const QPointF& viewPos) const {
    return readoutText(viewPos, false);
}

QString ImageInspector::readoutText(const QPointF& viewPos, bool keepValuesTogether) const {
    const QPoint p = imagePixelAt(viewPos);
    if (p.x() < 0) return {};
    auto together = [&](QString text) {
        return keepValuesTogether ? text.replace(QLatin1Char(' '), QChar::Nbsp) : text;
    };
    const QString where = tr("x %1, y %2").arg(p.x()).arg(p.y());
    if (isComparing())
        return tr("%1: %2; %3")
            .arg(where, together(tr("before %1").arg(valueText(m_image, p))),
                 together(tr("after %1").arg(valueText(m_after, p))));
    return tr("%1: %2").arg(where, together(valueText(m_image, p)));
}

void ImageInspector::refreshReadout() {
    showReadout(m_view->underMouse() ? m_view->mapFromGlobal(QCursor::pos()).toPointF()
                                     : QPointF(-1e9, -1e9));
}

void ImageInspector::showReadout(const QPointF& viewPos) {
    const QPoint pixel = imagePixelAt(viewPos);
    if (pixel != m_hoverPixel) {
        m_hoverPixel = pixel;
        m_view->update();
    }
    // The label wraps between values, never inside one.
    const QString text = readoutText(viewPos, true);
    m_readout->setText(!text.isEmpty()    ? text
                       : m_image.isNull() ? tr("No image")
                                          : tr("Point at the image to read pixel values"));
}

// ---- Painting -------------------------------------------------------------------------------------

void ImageInspector::paintView(QPainter& painter) {
    painter.fillRect(m_view->rect(), palette().color(QPalette::Window).darker(112));
    if (m_image.isNull()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(m_view->rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("No image to inspect"));
        return;
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    const QRectF r = imageRect();
    const double z = zoom();
    const QRectF visible = QRectF(m_view->visibleRegion().boundingRect()).intersected(r);
    const double dpr = devicePixelRatioF();
    const double divider = std::round((r.left() + m_comparePosition * r.width()) * dpr) / dpr;

    if (!isComparing()) {
        painter.drawImage(r, m_image);
    } else {
        painter.save();
        painter.setClipRect(QRectF(r.left(), r.top(), divider - r.left(), r.height()));
        painter.drawImage(r, m_image);
        painter.setClipRect(QRectF(divider, r.top(), r.right() - divider, r.height()));
        painter.drawImage(r, m_after);
        painter.restore();
    }

    if (z >= kGridZoom) {
        // Only the visible pixel boundaries: a 256-pixel image at 32x is 8192 screen pixels wide.
        painter.setPen(QPen(QColor(128, 128, 128, 70), 0));
        const int x0 = std::max(0, int((visible.left() - r.left()) / z));
        const int x1 = std::min(m_image.width(), int(std::ceil((visible.right() - r.left()) / z)));
        const int y0 = std::max(0, int((visible.top() - r.top()) / z));
        const int y1 = std::min(m_image.height(), int(std::ceil((visible.bottom() - r.top()) / z)));
        for (int x = x0; x <= x1; ++x)
            painter.drawLine(QPointF(r.left() + x * z, visible.top()),
                             QPointF(r.left() + x * z, visible.bottom()));
        for (int y = y0; y <= y1; ++y)
            painter.drawLine(QPointF(visible.left(), r.top() + y * z),
                             QPointF(visible.right(), r.top() + y * z));
    }

    if (m_hoverPixel.x() >= 0) {
        const QRectF cell(r.left() + m_hoverPixel.x() * z, r.top() + m_hoverPixel.y() * z, z, z);
        painter.setPen(QPen(Qt::black, 0));
        painter.drawRect(cell.adjusted(-1, -1, 1, 1));
        painter.setPen(QPen(Qt::white, 0));
        painter.drawRect(cell);
    }

    if (isComparing()) {
        painter.setRenderHint(QPainter::Antialiasing, true);
        painter.setPen(QPen(QColor(0, 0, 0, 160), 3));
        painter.drawLine(QPointF(divider, r.top()), QPointF(divider, r.bottom()));
        painter.setPen(QPen(Qt::white, 1));
        painter.drawLine(QPointF(divider, r.top()), QPointF(divider, r.bottom()));
        const QPointF handle(divider, visible.center().y());
        painter.setBrush(Qt::white);
        painter.setPen(QPen(QColor(0, 0, 0, 160), 1));
        painter.drawEllipse(handle, 6, 6);

        // Labels in the top corners of the visible part of the image.
        const QFontMetrics metrics(painter.font());
        auto drawTag = [&](const QString& text, bool left) {
            const QSize size = metrics.size(0, text) + QSize(8, 4);
            const double x = left ? visible.left() + 4 : visible.right() - 4 - size.width();
            const QRectF box(x, visible.top() + 4, size.width(), size.height());
            painter.setPen(Qt::NoPen);
            painter.setBrush(QColor(0, 0, 0, 150));
            painter.drawRoundedRect(box, 3, 3);
            painter.setPen(Qt::white);
            painter.drawText(box, Qt::AlignCenter, text);
        };
        if (visible.width() > 100) {
            drawTag(tr("Before"), true);
            drawTag(tr("After"), false);
        }
    }
}
