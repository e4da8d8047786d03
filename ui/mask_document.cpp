#include "ui/mask_document.h"

#include <QFileInfo>
#include <QImageReader>
#include <QPainter>
#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>

// One undoable edit: both layers before and after. At 28x28 or 32x32 a copy costs a few kilobytes, and
// an unchanged layer shares its data with the document (QImage is implicitly shared), so undo restores
// exactly the bytes that were there.
class DocumentEditCommand : public QUndoCommand {
  public:
    DocumentEditCommand(MaskDocument* document, const QString& text, MaskDocument::Layers before,
                        MaskDocument::Layers after)
        : QUndoCommand(text), m_document(document), m_before(std::move(before)), m_after(std::move(after)) {}
    void undo() override { m_document->restoreLayers(m_before); }
    void redo() override { m_document->restoreLayers(m_after); }

  private:
    MaskDocument* m_document;
    MaskDocument::Layers m_before, m_after;
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

} // namespace

MaskDocument::MaskDocument(QObject* parent) : QObject(parent), m_undoStack(new QUndoStack(this)) {}

MaskDocument::~MaskDocument() = default;

void MaskDocument::setImage(const QImage& image) {
    cancelEdit();
    m_reducedFrom = QSize();
    m_undoStack->clear();
    m_image = toDocumentFormat(image, false);
    m_mask = m_image.isNull() ? QImage() : emptyMask(m_image.size());
    emit pixelsChanged(m_image.rect());
    emit imageChanged();
    emit maskChanged();
}

bool MaskDocument::loadImageFile(const QString& path, QString* error) {
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
    // A large photo is reduced while it is decoded (JPEG decodes at 1/2, 1/4, 1/8 scale directly), so a
    // 12000 x 9000 picture opens without holding its 400 MB of pixels; the caller says that it was.
    const QSize declared = reader.size();
    QSize reducedFrom;
    if (declared.isValid() && (declared.width() > kMaxLoadSide || declared.height() > kMaxLoadSide)) {
        reader.setScaledSize(declared.scaled(kMaxLoadSide, kMaxLoadSide, Qt::KeepAspectRatio));
        reducedFrom = declared;
    }
    QImage image = reader.read();
    if (image.isNull())
        return fail(tr("%1 could not be decoded: %2 (a %3 × %4 image that cannot be decoded reduced may need "
                       "more memory than the %5 MB images may take; save it smaller or as JPEG)")
                        .arg(name, reader.errorString())
                        .arg(declared.width())
                        .arg(declared.height())
                        .arg(QImageReader::allocationLimit()));
    if (image.width() > kMaxLoadSide || image.height() > kMaxLoadSide) { // a header without a size
        reducedFrom = image.size();
        image = image.scaled(kMaxLoadSide, kMaxLoadSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    }
    setImage(toDocumentFormat(image, true));
    m_reducedFrom = reducedFrom;
    return true;
}

void MaskDocument::applyResult(const QImage& result, const QString& label) {
    if (result.isNull()) return;
    cancelEdit();
    Layers after{toDocumentFormat(result, false), m_mask};
    if (m_mask.isNull())
        after.mask = emptyMask(after.image.size());
    else if (after.image.size() != m_mask.size())
        after.mask = m_mask.scaled(after.image.size(), Qt::IgnoreAspectRatio, Qt::FastTransformation);
    pushEdit(label, after);
}

void MaskDocument::setMask(const QImage& mask) {
    if (!hasImage() || mask.isNull()) return;
    cancelEdit();
    QImage grey = mask.convertToFormat(QImage::Format_Grayscale8);
    if (grey.size() != m_image.size())
        grey = grey.scaled(m_image.size(), Qt::IgnoreAspectRatio, Qt::FastTransformation);
    if (grey == m_mask) return;
    pushEdit(tr("Set mask"), {m_image, grey});
}

void MaskDocument::invertMask() {
    if (!hasImage()) return;
    cancelEdit();
    pushEdit(tr("Invert mask"), {m_image, invertedMask(m_mask)});
}

void MaskDocument::clearMask() {
    if (!hasImage()) return;
    cancelEdit();
    const QImage cleared = emptyMask(m_image.size());
    if (cleared == m_mask) return;
    pushEdit(tr("Clear mask"), {m_image, cleared});
}

void MaskDocument::pushEdit(const QString& label, const Layers& after) {
    // push() runs redo(), which applies `after` and emits the signals.
    m_undoStack->push(new DocumentEditCommand(this, label, layers(), after));
}

void MaskDocument::restoreLayers(const Layers& layers) {
    cancelEdit();
    const bool imageDiffers = layers.image != m_image;
    const bool maskDiffers = layers.mask != m_mask;
    m_image = layers.image;
    m_mask = layers.mask;
    if (imageDiffers || maskDiffers) emit pixelsChanged(m_image.rect());
    if (imageDiffers) emit imageChanged();
    if (maskDiffers) emit maskChanged();
}

// ---- Live edits -----------------------------------------------------------------------------------

void MaskDocument::beginStroke(const Brush& brush, BrushStroke::Effect effect, const QColor& colour,
                               const QPointF& centre) {
    if (!hasImage()) return;
    cancelEdit();
    m_edit = Edit::Stroke;
    m_beforeEdit = layers();
    m_stroke.emplace(brush, effect, effect == BrushStroke::PaintColour ? m_image : m_mask, colour);
    m_strokeEnd = centre;
    const QRect changed =
        m_stroke->addSegment(centre, centre, effect == BrushStroke::PaintColour ? &m_image : &m_mask);
    if (!changed.isEmpty()) emit pixelsChanged(changed);
}

bool MaskDocument::extendStroke(const QPointF& centre) {
    if (m_edit != Edit::Stroke || centre == m_strokeEnd) return false;
    const QRect changed = m_stroke->addSegment(
        m_strokeEnd, centre, m_stroke->effect() == BrushStroke::PaintColour ? &m_image : &m_mask);
    m_strokeEnd = centre;
    if (!changed.isEmpty()) emit pixelsChanged(changed);
    return true;
}

void MaskDocument::beginRectangle(const QPoint& corner, bool erase) {
    if (!hasImage()) return;
    cancelEdit();
    m_edit = Edit::Rectangle;
    m_beforeEdit = layers();
    m_rectangleStart = QPoint(std::clamp(corner.x(), 0, m_image.width() - 1),
                              std::clamp(corner.y(), 0, m_image.height() - 1));
    m_rectangleEnd = m_rectangleStart;
    m_rectangleErases = erase;
    m_mask = maskWithRectangle(m_beforeEdit.mask, liveRectangle(), erase);
    emit pixelsChanged(m_mask.rect());
}

bool MaskDocument::extendRectangle(const QPoint& corner, bool erase) {
    if (m_edit != Edit::Rectangle) return false;
    const QPoint end(std::clamp(corner.x(), 0, m_image.width() - 1),
                     std::clamp(corner.y(), 0, m_image.height() - 1));
    if (end == m_rectangleEnd && erase == m_rectangleErases) return false;
    m_rectangleEnd = end;
    m_rectangleErases = erase;
    m_mask = maskWithRectangle(m_beforeEdit.mask, liveRectangle(), erase);
    emit pixelsChanged(m_mask.rect());
    return true;
}

QRect MaskDocument::liveRectangle() const {
    return m_edit == Edit::Rectangle ? pixelSpan(m_rectangleStart, m_rectangleEnd) : QRect();
}

void MaskDocument::commitEdit() {
    if (!isEditing()) return;
    const Layers before = m_beforeEdit;
    const QString label = liveEditLabel();
    endEdit();
    const bool imageDiffers = before.image != m_image;
    const bool maskDiffers = before.mask != m_mask;
    if (!imageDiffers && !maskDiffers) return;
    // The change is already applied; the command's first redo() finds nothing left to do.
    m_undoStack->push(new DocumentEditCommand(this, label, before, layers()));
    if (imageDiffers) emit imageChanged();
    if (maskDiffers) emit maskChanged();
}

void MaskDocument::cancelEdit() {
    if (!isEditing()) return;
    const Layers before = m_beforeEdit;
    endEdit();
    const bool maskDiffers = before.mask != m_mask;
    m_image = before.image;
    m_mask = before.mask;
    emit pixelsChanged(m_image.rect());
    // Live inpainting followed the edit; tell it the mask went back.
    if (maskDiffers) emit maskChanged();
}

QString MaskDocument::liveEditLabel() const {
    if (m_edit == Edit::Rectangle) return m_rectangleErases ? tr("Erase rectangle") : tr("Rectangle mask");
    switch (m_stroke->effect()) {
    case BrushStroke::EraseMask:
        return tr("Erase stroke");
    case BrushStroke::PaintColour:
        return tr("Colour stroke");
    case BrushStroke::PaintMask:
        break;
    }
    return tr("Mask stroke");
}

void MaskDocument::endEdit() {
    m_edit = Edit::None;
    m_beforeEdit = {};
    m_stroke.reset();
}
