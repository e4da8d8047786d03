#include "ui/mask_canvas.h"

#include <QFileInfo>
#include <QImageReader>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>
#include <cmath>

// One undoable edit: the whole document before and after. At 28x28 or 32x32 a copy costs a few
// kilobytes, and an unchanged layer shares its data with the document (QImage is implicitly shared),
// so undo restores exactly the bytes that were there.
class CanvasEditCommand : public QUndoCommand {
  public:
    CanvasEditCommand(MaskCanvas* canvas, const QString& text, MaskCanvas::State before,
                      MaskCanvas::State after)
        : QUndoCommand(text), m_canvas(canvas), m_before(std::move(before)), m_after(std::move(after)) {}
    void undo() override { m_canvas->restoreState(m_before); }
    void redo() override { m_canvas->restoreState(m_after); }

  private:
    MaskCanvas* m_canvas;
    MaskCanvas::State m_before, m_after;
};

namespace {

bool isGreyFormat(QImage::Format format) {
    return format == QImage::Format_Grayscale8 || format == QImage::Format_Grayscale16 ||
           format == QImage::Format_Mono || format == QImage::Format_MonoLSB ||
           format == QImage::Format_Alpha8;
}

// RGB888 with any transparency composited over white, as the engine's image reader does.
QImage toRgb888(const QImage& image) {
    if (!image.hasAlphaChannel()) return image.convertToFormat(QImage::Format_RGB888);
    QImage flat(image.size(), QImage::Format_RGB888);
    flat.fill(Qt::white);
    QPainter painter(&flat);
    painter.drawImage(0, 0, image);
    painter.end();
    return flat;
}

QImage toDocumentFormat(const QImage& image, bool greyByContent) {
    if (image.isNull()) return {};
    if (image.format() == QImage::Format_Grayscale8) return image;
    if (isGreyFormat(image.format())) return image.convertToFormat(QImage::Format_Grayscale8);
    QImage rgb = toRgb888(image);
    if (greyByContent && rgb.allGray()) return rgb.convertToFormat(QImage::Format_Grayscale8);
    return rgb;
}

QImage emptyMask(const QSize& size) {
    QImage mask(size, QImage::Format_Grayscale8);
    mask.fill(0);
    return mask;
}

double distanceToSegment(const QPointF& p, const QPointF& a, const QPointF& b) {
    const QPointF ab = b - a;
    const double length2 = QPointF::dotProduct(ab, ab);
    double t = length2 > 0 ? QPointF::dotProduct(p - a, ab) / length2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const QPointF d = p - (a + t * ab);
    return std::sqrt(QPointF::dotProduct(d, d));
}

// The pixels from one corner pixel to the other, both included (QRect::normalized() would drop a row
// and a column when the drag goes up or left).
QRect rectangleSpan(const QPoint& a, const QPoint& b) {
    return {QPoint(std::min(a.x(), b.x()), std::min(a.y(), b.y())),
            QPoint(std::max(a.x(), b.x()), std::max(a.y(), b.y()))};
}

uchar toByte(double v) {
    return uchar(std::clamp(std::lround(v), 0L, 255L));
}

} // namespace

MaskCanvas::MaskCanvas(QWidget* parent) : QWidget(parent), m_undoStack(new QUndoStack(this)) {
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
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

// ---- Document -------------------------------------------------------------------------------------

void MaskCanvas::setImage(const QImage& image) {
    cancelDrag();
    m_undoStack->clear();
    m_image = toDocumentFormat(image, false);
    m_mask = m_image.isNull() ? QImage() : emptyMask(m_image.size());
    rebuildOverlay(m_mask.rect());
    m_hoverPixel = {-1, -1};
    setCursor(m_image.isNull() ? Qt::ArrowCursor : Qt::CrossCursor);
    update();
    emit imageChanged();
    emit maskChanged();
}

bool MaskCanvas::loadImageFile(const QString& path, QString* error) {
    auto fail = [&](const QString& message) {
        if (error) *error = message;
        return false;
    };
    const QString name = QFileInfo(path).fileName();
    if (!QFileInfo::exists(path)) return fail(tr("%1: the file does not exist.").arg(name));
    QImageReader reader(path);
    reader.setAutoTransform(true);
    if (!reader.canRead())
        return fail(tr("%1 is not an image file that can be read (%2).").arg(name, reader.errorString()));
    auto tooLarge = [&](const QSize& size) {
        return fail(tr("%1 is %2x%3 pixels; the canvas takes images up to %4x%4.")
                        .arg(name)
                        .arg(size.width())
                        .arg(size.height())
                        .arg(kMaxLoadSide));
    };
    // The header's size first, so a huge file is refused before it is decoded.
    const QSize declared = reader.size();
    if (declared.isValid() && (declared.width() > kMaxLoadSide || declared.height() > kMaxLoadSide))
        return tooLarge(declared);
    const QImage image = reader.read();
    if (image.isNull()) return fail(tr("%1 could not be decoded: %2").arg(name, reader.errorString()));
    if (image.width() > kMaxLoadSide || image.height() > kMaxLoadSide) return tooLarge(image.size());
    setImage(toDocumentFormat(image, true));
    return true;
}

void MaskCanvas::applyResult(const QImage& result, const QString& label) {
    if (result.isNull()) return;
    cancelDrag();
    State after{toDocumentFormat(result, false), m_mask};
    if (m_mask.isNull())
        after.mask = emptyMask(after.image.size());
    else if (after.image.size() != m_mask.size())
        after.mask = m_mask.scaled(after.image.size(), Qt::IgnoreAspectRatio, Qt::FastTransformation);
    pushEdit(label, after);
}

void MaskCanvas::setMask(const QImage& mask) {
    if (!hasImage() || mask.isNull()) return;
    cancelDrag();
    QImage grey = mask.convertToFormat(QImage::Format_Grayscale8);
    if (grey.size() != m_image.size())
        grey = grey.scaled(m_image.size(), Qt::IgnoreAspectRatio, Qt::FastTransformation);
    if (grey == m_mask) return;
    pushEdit(tr("Set mask"), {m_image, grey});
}

void MaskCanvas::invertMask() {
    if (!hasImage()) return;
    cancelDrag();
    QImage inverted = m_mask.copy();
    inverted.invertPixels();
    pushEdit(tr("Invert mask"), {m_image, inverted});
}

void MaskCanvas::clearMask() {
    if (!hasImage()) return;
    cancelDrag();
    const QImage cleared = emptyMask(m_image.size());
    if (cleared == m_mask) return;
    pushEdit(tr("Clear mask"), {m_image, cleared});
}

void MaskCanvas::pushEdit(const QString& label, const State& after) {
    // push() runs redo(), which applies `after` and emits the signals.
    m_undoStack->push(new CanvasEditCommand(this, label, state(), after));
}

void MaskCanvas::restoreState(const State& s) {
    cancelDrag();
    const bool imageDiffers = s.image != m_image;
    const bool maskDiffers = s.mask != m_mask;
    m_image = s.image;
    m_mask = s.mask;
    if (maskDiffers || m_overlay.size() != m_mask.size()) rebuildOverlay(m_mask.rect());
    setCursor(m_image.isNull() ? Qt::ArrowCursor : Qt::CrossCursor);
    update();
    if (imageDiffers) emit imageChanged();
    if (maskDiffers) emit maskChanged();
}

void MaskCanvas::commitDrag(const QString& label) {
    const State before = m_dragBefore;
    m_drag = Drag::None;
    m_dragBefore = {};
    m_strokeCoverage.clear();
    const bool imageDiffers = before.image != m_image;
    const bool maskDiffers = before.mask != m_mask;
    if (!imageDiffers && !maskDiffers) return;
    // The change is already on screen; the command's first redo() finds nothing left to do.
    m_undoStack->push(new CanvasEditCommand(this, label, before, state()));
    if (imageDiffers) emit imageChanged();
    if (maskDiffers) emit maskChanged();
}

void MaskCanvas::cancelDrag() {
    if (m_drag == Drag::None) return;
    const State before = m_dragBefore;
    m_drag = Drag::None;
    m_dragBefore = {};
    m_strokeCoverage.clear();
    const bool maskDiffers = before.mask != m_mask;
    m_image = before.image;
    m_mask = before.mask;
    rebuildOverlay(m_mask.rect());
    update();
    // Live inpainting followed the drag; tell it the mask went back.
    if (maskDiffers) emit maskChanged();
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
    if (size == m_brushSize) return;
    m_brushSize = size;
    update();
    emit brushSizeChanged(size);
}

void MaskCanvas::setBrushHardness(double hardness) {
    hardness = std::clamp(hardness, 0.0, 1.0);
    if (hardness == m_brushHardness) return;
    m_brushHardness = hardness;
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
    rebuildOverlay(m_mask.rect());
    update();
}

// ---- Geometry -------------------------------------------------------------------------------------

double MaskCanvas::zoom() const {
    if (m_image.isNull()) return 1.0;
    const double fit = std::min(double(width()) / m_image.width(), double(height()) / m_image.height());
    // Whole device pixels per image pixel keep every image pixel the same size on screen.
    const double dpr = devicePixelRatioF();
    const double devicePixels = std::floor(fit * dpr);
    return devicePixels >= 1 ? devicePixels / dpr : fit;
}

QRectF MaskCanvas::imageRect() const {
    if (m_image.isNull()) return {};
    const double z = zoom();
    const QSizeF size(m_image.width() * z, m_image.height() * z);
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
    if (m_image.isNull()) return {-1, -1};
    const QPointF p = widgetToImage(widgetPos);
    const QPoint pixel(int(std::floor(p.x())), int(std::floor(p.y())));
    return m_image.rect().contains(pixel) ? pixel : QPoint(-1, -1);
}

// ---- Brush ----------------------------------------------------------------------------------------

// Odd brushes centre on a pixel, even ones on a pixel corner, so a hard brush of size n covers a
// symmetric disc n pixels across wherever it is pressed.
QPointF MaskCanvas::brushCentre(const QPointF& imagePos) const {
    if (m_brushSize % 2 == 1) return {std::floor(imagePos.x()) + 0.5, std::floor(imagePos.y()) + 0.5};
    return {std::round(imagePos.x()), std::round(imagePos.y())};
}

// Coverage of a pixel whose centre lies `distance` image pixels from the brush path: 1 inside the hard
// core (hardness x radius), then a smoothstep down to 0 at the radius.
double MaskCanvas::brushCoverage(double distance) const {
    const double radius = m_brushSize / 2.0;
    const double core = m_brushHardness * radius;
    constexpr double eps = 1e-9;
    if (distance <= core + eps) return 1.0;
    if (distance >= radius) return 0.0;
    const double t = (distance - core) / (radius - core);
    return 1.0 - t * t * (3.0 - 2.0 * t);
}

// Covers the capsule from `from` to `to` (brush centres in image coordinates): however far the pointer
// jumped between two events, the stroke has no gaps.
void MaskCanvas::strokeSegment(const QPointF& from, const QPointF& to) {
    const double radius = m_brushSize / 2.0;
    const QRect bounds = QRect(QPoint(int(std::floor(std::min(from.x(), to.x()) - radius)),
                                      int(std::floor(std::min(from.y(), to.y()) - radius))),
                               QPoint(int(std::ceil(std::max(from.x(), to.x()) + radius)),
                                      int(std::ceil(std::max(from.y(), to.y()) + radius))))
                             .intersected(m_image.rect());
    if (bounds.isEmpty()) return;
    const int w = m_image.width();
    for (int y = bounds.top(); y <= bounds.bottom(); ++y)
        for (int x = bounds.left(); x <= bounds.right(); ++x) {
            const double coverage = brushCoverage(distanceToSegment(QPointF(x + 0.5, y + 0.5), from, to));
            float& stored = m_strokeCoverage[size_t(y) * w + x];
            stored = std::max(stored, float(coverage));
        }
    applyStroke(bounds);
}

// Recomputes the edited layer inside `area` from the layer before the stroke and the stroke's coverage,
// so passing over a pixel twice in one stroke does not build up.
void MaskCanvas::applyStroke(const QRect& area) {
    const int w = m_image.width();
    if (m_dragTool == ColourBrush) {
        const bool grey = m_image.format() == QImage::Format_Grayscale8;
        const int channels = grey ? 1 : 3;
        const double paint[3] = {double(grey ? qGray(m_brushColour.rgb()) : m_brushColour.red()),
                                 double(m_brushColour.green()), double(m_brushColour.blue())};
        for (int y = area.top(); y <= area.bottom(); ++y) {
            const uchar* before = m_dragBefore.image.constScanLine(y);
            uchar* line = m_image.scanLine(y);
            for (int x = area.left(); x <= area.right(); ++x) {
                const double a = m_strokeCoverage[size_t(y) * w + x];
                for (int c = 0; c < channels; ++c) {
                    const int i = x * channels + c;
                    line[i] = toByte(before[i] * (1.0 - a) + paint[c] * a);
                }
            }
        }
        return;
    }
    for (int y = area.top(); y <= area.bottom(); ++y) {
        const uchar* before = m_dragBefore.mask.constScanLine(y);
        uchar* line = m_mask.scanLine(y);
        for (int x = area.left(); x <= area.right(); ++x) {
            const double a = m_strokeCoverage[size_t(y) * w + x];
            line[x] =
                m_dragTool == Eraser ? toByte(before[x] * (1.0 - a)) : std::max(before[x], toByte(255.0 * a));
        }
    }
    rebuildOverlay(area);
}

void MaskCanvas::updateRectangle(const QPoint& corner, bool erase) {
    m_rectEnd = corner;
    m_rectErase = erase;
    m_mask = m_dragBefore.mask.copy();
    const QRect r = rectangleSpan(m_rectStart, m_rectEnd);
    for (int y = r.top(); y <= r.bottom(); ++y)
        std::fill_n(m_mask.scanLine(y) + r.left(), r.width(), uchar(erase ? 0 : 255));
    rebuildOverlay(m_mask.rect());
}

void MaskCanvas::rebuildOverlay(const QRect& area) {
    if (m_mask.isNull()) {
        m_overlay = {};
        return;
    }
    if (m_overlay.size() != m_mask.size()) {
        m_overlay = QImage(m_mask.size(), QImage::Format_ARGB32_Premultiplied);
        m_overlay.fill(Qt::transparent);
    }
    // Half opacity at full mask strength: the image stays readable under the overlay.
    constexpr double kOpacity = 0.55;
    const QRect r = area.intersected(m_mask.rect());
    for (int y = r.top(); y <= r.bottom(); ++y) {
        const uchar* mask = m_mask.constScanLine(y);
        auto* line = reinterpret_cast<QRgb*>(m_overlay.scanLine(y));
        for (int x = r.left(); x <= r.right(); ++x) {
            const int alpha = int(std::lround(mask[x] * kOpacity));
            line[x] = qPremultiply(
                qRgba(m_overlayColour.red(), m_overlayColour.green(), m_overlayColour.blue(), alpha));
        }
    }
}

// ---- Painting -------------------------------------------------------------------------------------

void MaskCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Window).darker(112));
    if (m_image.isNull()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
                         tr("Open, paste or drop an image, or send one from the gallery"));
        return;
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    const QRectF target = imageRect();
    painter.drawImage(target, m_image);
    if (m_maskVisible) painter.drawImage(target, m_overlay);

    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setPen(QPen(palette().color(QPalette::Mid), 0));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5));

    const double z = zoom();
    if (m_drag == Drag::Rectangle) {
        const QRect r = rectangleSpan(m_rectStart, m_rectEnd);
        const QRectF outline(imageToWidget(r.topLeft()), QSizeF(r.width() * z, r.height() * z));
        painter.setPen(QPen(Qt::white, 0));
        painter.drawRect(outline);
        painter.setPen(QPen(Qt::black, 0, Qt::DashLine));
        painter.drawRect(outline);
    }
    if (m_pointerInside && m_tool != Rectangle && m_drag != Drag::Rectangle) {
        // The outline shows the brush's full extent, drawn twice so it reads on light and dark pixels.
        const QPointF centre = imageToWidget(brushCentre(widgetToImage(m_pointerPos)));
        const double radius = m_brushSize / 2.0 * z;
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
    if (event->button() != Qt::LeftButton || !hasImage() || m_drag != Drag::None) {
        QWidget::mousePressEvent(event);
        return;
    }
    const QPointF imagePos = widgetToImage(event->position());
    m_dragBefore = state();
    m_dragTool = m_tool;
    if (m_tool == Rectangle) {
        const QPoint pixel(std::clamp(int(std::floor(imagePos.x())), 0, m_image.width() - 1),
                           std::clamp(int(std::floor(imagePos.y())), 0, m_image.height() - 1));
        m_drag = Drag::Rectangle;
        m_rectStart = pixel;
        updateRectangle(pixel, event->modifiers().testFlag(Qt::ShiftModifier));
        emit maskEditing();
    } else {
        m_drag = Drag::Stroke;
        m_strokeCoverage.assign(size_t(m_image.width()) * m_image.height(), 0.0f);
        m_lastCentre = brushCentre(imagePos);
        strokeSegment(m_lastCentre, m_lastCentre);
        if (m_tool != ColourBrush) emit maskEditing();
    }
    update();
    event->accept();
}

void MaskCanvas::mouseMoveEvent(QMouseEvent* event) {
    updateHover(event->position());
    if (m_drag == Drag::None || !(event->buttons() & Qt::LeftButton)) return;
    const QPointF imagePos = widgetToImage(event->position());
    if (m_drag == Drag::Rectangle) {
        const QPoint pixel(std::clamp(int(std::floor(imagePos.x())), 0, m_image.width() - 1),
                           std::clamp(int(std::floor(imagePos.y())), 0, m_image.height() - 1));
        const bool erase = event->modifiers().testFlag(Qt::ShiftModifier);
        if (pixel == m_rectEnd && erase == m_rectErase) return;
        updateRectangle(pixel, erase);
        emit maskEditing();
    } else {
        const QPointF centre = brushCentre(imagePos);
        if (centre == m_lastCentre) return;
        strokeSegment(m_lastCentre, centre);
        m_lastCentre = centre;
        if (m_dragTool != ColourBrush) emit maskEditing();
    }
    update();
}

void MaskCanvas::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || m_drag == Drag::None) {
        QWidget::mouseReleaseEvent(event);
        return;
    }
    const QPointF imagePos = widgetToImage(event->position());
    if (m_drag == Drag::Rectangle) {
        const QPoint pixel(std::clamp(int(std::floor(imagePos.x())), 0, m_image.width() - 1),
                           std::clamp(int(std::floor(imagePos.y())), 0, m_image.height() - 1));
        updateRectangle(pixel, m_rectErase);
        commitDrag(m_rectErase ? tr("Erase rectangle") : tr("Rectangle mask"));
    } else {
        const QPointF centre = brushCentre(imagePos);
        if (centre != m_lastCentre) strokeSegment(m_lastCentre, centre);
        const Tool tool = m_dragTool;
        commitDrag(tool == Eraser        ? tr("Erase stroke")
                   : tool == ColourBrush ? tr("Colour stroke")
                                         : tr("Mask stroke"));
    }
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
    emit hoveredPixel(pixel, pixel.x() >= 0 ? m_image.pixelColor(pixel) : QColor());
}

void MaskCanvas::keyPressEvent(QKeyEvent* event) {
    // Small brushes change pixel by pixel, large ones by about a sixth: 1..64 takes a couple of dozen
    // presses.
    if (event->text() == QLatin1String("]")) {
        setBrushSize(m_brushSize + std::max(1, m_brushSize / 6));
    } else if (event->text() == QLatin1String("[")) {
        setBrushSize(m_brushSize - std::max(1, m_brushSize / 7));
    } else if (event->key() == Qt::Key_Escape && m_drag != Drag::None) {
        cancelDrag();
    } else {
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
}
