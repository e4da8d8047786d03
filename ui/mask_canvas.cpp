#include "ui/mask_canvas.h"

#include "ui/mask_document.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace {

BrushStroke::Effect strokeEffect(MaskCanvas::Tool tool) {
    switch (tool) {
    case MaskCanvas::Eraser:
        return BrushStroke::EraseMask;
    case MaskCanvas::ColourBrush:
        return BrushStroke::PaintColour;
    case MaskCanvas::MaskBrush:
    case MaskCanvas::Rectangle:
        break;
    }
    return BrushStroke::PaintMask;
}

// The image pixel that contains `imagePos`, which may lie outside the image.
QPoint containingPixel(const QPointF& imagePos) {
    return {int(std::floor(imagePos.x())), int(std::floor(imagePos.y()))};
}

} // namespace

MaskCanvas::MaskCanvas(QWidget* parent) : QWidget(parent), m_document(new MaskDocument(this)) {
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    connect(m_document, &MaskDocument::pixelsChanged, this, [this](const QRect& area) {
        rebuildOverlay(area);
        update();
    });
    connect(m_document, &MaskDocument::imageChanged, this, &MaskCanvas::onImageChanged);
}

MaskCanvas::~MaskCanvas() = default;

QSize MaskCanvas::sizeHint() const {
    return {320, 320};
}
QSize MaskCanvas::minimumSizeHint() const {
    return {64, 64};
}

QString MaskCanvas::toolName(Tool tool) {
    switch (tool) {
    case MaskBrush:
        return tr("Mask brush");
    case Eraser:
        return tr("Eraser");
    case Rectangle:
        return tr("Rectangle");
    case ColourBrush:
        return tr("Colour brush");
    }
    return {};
}

QString MaskCanvas::toolToolTip(Tool tool) {
    switch (tool) {
    case MaskBrush:
        return tr("Paint the region the model should fill ([ and ] change the brush size)");
    case Eraser:
        return tr("Remove painted mask ([ and ] change the brush size)");
    case Rectangle:
        return tr("Drag a rectangle to mask; hold Shift to erase it instead");
    case ColourBrush:
        return tr("Paint rough colour strokes onto the image for stroke-guided editing");
    }
    return {};
}

void MaskCanvas::setPreview(const QImage& preview) {
    m_preview = preview.size() == m_document->image().size() ? preview : QImage();
    update();
}

void MaskCanvas::onImageChanged() {
    // The pixel under the pointer holds a new value (or is gone): report it again on the next move.
    m_hoverPixel = {-1, -1};
    m_preview = QImage(); // a preview of the image that was
    setCursor(m_document->hasImage() ? Qt::CrossCursor : Qt::ArrowCursor);
}

// ---- Settings -------------------------------------------------------------------------------------

void MaskCanvas::setTool(Tool tool) {
    if (tool == m_tool) return;
    m_tool = tool;
    update();
    emit toolChanged(tool);
}

void MaskCanvas::setBrushSize(int size) {
    size = std::clamp(size, kMinBrushSize, kMaxBrushSize);
    if (size == m_brush.size) return;
    m_brush.size = size;
    update();
    emit brushSizeChanged(size);
}

void MaskCanvas::setBrushHardness(double hardness) {
    hardness = std::clamp(hardness, 0.0, 1.0);
    if (hardness == m_brush.hardness) return;
    m_brush.hardness = hardness;
    emit brushHardnessChanged(hardness);
}

void MaskCanvas::setBrushColour(const QColor& colour) {
    if (colour.isValid()) m_brushColour = colour;
}

void MaskCanvas::setMaskVisible(bool visible) {
    if (visible == m_maskVisible) return;
    m_maskVisible = visible;
    update();
    emit maskVisibleChanged(visible);
}

void MaskCanvas::setOverlayColour(const QColor& colour) {
    if (!colour.isValid()) return;
    m_overlayColour = colour;
    rebuildOverlay(m_document->mask().rect());
    update();
}

// ---- Geometry -------------------------------------------------------------------------------------

void MaskCanvas::setReferenceSize(int pixels) {
    m_referenceSize = std::max(0, pixels);
    update();
}

double MaskCanvas::zoom() const {
    const QSize image = m_document->image().size();
    if (image.isEmpty()) return 1.0;
    const QSize shown = image.expandedTo(QSize(m_referenceSize, m_referenceSize));
    const double fit = std::min(double(width()) / shown.width(), double(height()) / shown.height());
    // Whole device pixels per image pixel keep every image pixel the same size on screen.
    const double dpr = devicePixelRatioF();
    const double devicePixels = std::floor(fit * dpr);
    return devicePixels >= 1 ? devicePixels / dpr : fit;
}

QRectF MaskCanvas::imageRect() const {
    const QSize image = m_document->image().size();
    if (image.isEmpty()) return {};
    const double z = zoom();
    const QSizeF size(image.width() * z, image.height() * z);
    // Snap the corner to a device pixel so pixel edges stay crisp.
    const double dpr = devicePixelRatioF();
    const double left = std::round((width() - size.width()) / 2 * dpr) / dpr;
    const double top = std::round((height() - size.height()) / 2 * dpr) / dpr;
    return {QPointF(left, top), size};
}

QPointF MaskCanvas::widgetToImage(const QPointF& widgetPos) const {
    const QRectF r = imageRect();
    return (widgetPos - r.topLeft()) / zoom();
}

QPointF MaskCanvas::imageToWidget(const QPointF& imagePos) const {
    return imageRect().topLeft() + imagePos * zoom();
}

QPoint MaskCanvas::imagePixelAt(const QPointF& widgetPos) const {
    if (!m_document->hasImage()) return {-1, -1};
    const QPoint pixel = containingPixel(widgetToImage(widgetPos));
    return m_document->image().rect().contains(pixel) ? pixel : QPoint(-1, -1);
}

// ---- Painting -------------------------------------------------------------------------------------

void MaskCanvas::rebuildOverlay(const QRect& area) {
    const QImage mask = m_document->mask();
    if (mask.isNull()) {
        m_overlay = {};
        return;
    }
    if (m_overlay.size() != mask.size()) {
        m_overlay = QImage(mask.size(), QImage::Format_ARGB32_Premultiplied);
        m_overlay.fill(Qt::transparent);
    }
    // Half opacity at full mask strength: the image stays readable under the overlay.
    constexpr double kOpacity = 0.55;
    const QRect r = area.intersected(mask.rect());
    for (int y = r.top(); y <= r.bottom(); ++y) {
        const uchar* values = mask.constScanLine(y);
        auto* line = reinterpret_cast<QRgb*>(m_overlay.scanLine(y));
        for (int x = r.left(); x <= r.right(); ++x) {
            const int alpha = int(std::lround(values[x] * kOpacity));
            line[x] = qPremultiply(
                qRgba(m_overlayColour.red(), m_overlayColour.green(), m_overlayColour.blue(), alpha));
        }
    }
}

void MaskCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Window).darker(112));
    if (!m_document->hasImage()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
                         tr("Open, paste or drop an image, or send one from the gallery"));
        return;
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    const QRectF target = imageRect();
    const bool previewing = !m_preview.isNull();
    painter.drawImage(target, previewing ? m_preview : m_document->image());
    if (m_maskVisible) {
        painter.setOpacity(previewing ? 0.3 : 1.0); // the fill shows through where it is generated
        painter.drawImage(target, m_overlay);
        painter.setOpacity(1.0);
    }

    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setPen(QPen(palette().color(QPalette::Mid), 0));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5));

    const double z = zoom();
    const QRect rectangle = m_document->liveRectangle();
    if (!rectangle.isNull()) {
        const QRectF outline(imageToWidget(rectangle.topLeft()),
                             QSizeF(rectangle.width() * z, rectangle.height() * z));
        painter.setPen(QPen(Qt::white, 0));
        painter.drawRect(outline);
        painter.setPen(QPen(Qt::black, 0, Qt::DashLine));
        painter.drawRect(outline);
    }
    if (m_pointerInside && m_tool != Rectangle && rectangle.isNull()) {
        // The outline shows the brush's full extent, drawn twice so it reads on light and dark pixels.
        const QPointF centre = imageToWidget(m_brush.centreAt(widgetToImage(m_pointerPos)));
        const double radius = m_brush.size / 2.0 * z;
        painter.setPen(QPen(Qt::black, 0));
        painter.drawEllipse(centre, radius + 1, radius + 1);
        painter.setPen(QPen(Qt::white, 0));
        painter.drawEllipse(centre, radius, radius);
        if (m_tool == ColourBrush && radius > 3) {
            painter.setPen(Qt::NoPen);
            painter.setBrush(m_brushColour);
            painter.drawEllipse(centre, std::min(3.0, radius / 3), std::min(3.0, radius / 3));
        }
    }
}

// ---- Input ----------------------------------------------------------------------------------------

void MaskCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || !m_document->hasImage() || m_document->isEditing()) {
        QWidget::mousePressEvent(event);
        return;
    }
    const QPointF imagePos = widgetToImage(event->position());
    m_dragTool = m_tool;
    m_dragBrush = m_brush;
    if (m_tool == Rectangle) {
        m_dragErases = event->modifiers().testFlag(Qt::ShiftModifier);
        m_document->beginRectangle(containingPixel(imagePos), m_dragErases);
        emit maskEditing();
    } else {
        m_document->beginStroke(m_brush, strokeEffect(m_tool), m_brushColour, m_brush.centreAt(imagePos));
        if (m_tool != ColourBrush) emit maskEditing();
    }
    update();
    event->accept();
}

void MaskCanvas::mouseMoveEvent(QMouseEvent* event) {
    updateHover(event->position());
    if (!m_document->isEditing() || !(event->buttons() & Qt::LeftButton)) return;
    const QPointF imagePos = widgetToImage(event->position());
    if (m_dragTool == Rectangle) {
        const bool erase = event->modifiers().testFlag(Qt::ShiftModifier);
        if (!m_document->extendRectangle(containingPixel(imagePos), erase)) return;
        m_dragErases = erase;
        emit maskEditing();
    } else {
        if (!m_document->extendStroke(m_dragBrush.centreAt(imagePos))) return;
        if (m_dragTool != ColourBrush) emit maskEditing();
    }
    update();
}

void MaskCanvas::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || !m_document->isEditing()) {
        QWidget::mouseReleaseEvent(event);
        return;
    }
    const QPointF imagePos = widgetToImage(event->position());
    if (m_dragTool == Rectangle)
        m_document->extendRectangle(containingPixel(imagePos), m_dragErases);
    else
        m_document->extendStroke(m_dragBrush.centreAt(imagePos));
    m_document->commitEdit();
    update();
    event->accept();
}

void MaskCanvas::leaveEvent(QEvent* event) {
    m_pointerInside = false;
    if (m_hoverPixel != QPoint(-1, -1)) {
        m_hoverPixel = {-1, -1};
        emit hoveredPixel(m_hoverPixel, QColor());
    }
    update();
    QWidget::leaveEvent(event);
}

void MaskCanvas::updateHover(const QPointF& widgetPos) {
    const bool brushMoved = !m_pointerInside || m_pointerPos != widgetPos;
    m_pointerInside = true;
    m_pointerPos = widgetPos;
    if (brushMoved && m_tool != Rectangle) update();
    const QPoint pixel = imagePixelAt(widgetPos);
    if (pixel == m_hoverPixel) return;
    m_hoverPixel = pixel;
    emit hoveredPixel(pixel, pixel.x() >= 0 ? m_document->image().pixelColor(pixel) : QColor());
}

void MaskCanvas::keyPressEvent(QKeyEvent* event) {
    // Small brushes change pixel by pixel, large ones by about a sixth: 1..64 takes a couple of dozen
    // presses.
    if (event->text() == QLatin1String("]")) {
        setBrushSize(m_brush.size + std::max(1, m_brush.size / 6));
    } else if (event->text() == QLatin1String("[")) {
        setBrushSize(m_brush.size - std::max(1, m_brush.size / 7));
    } else if (event->key() == Qt::Key_Escape && m_document->isEditing()) {
        m_document->cancelEdit();
    } else {
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
}
