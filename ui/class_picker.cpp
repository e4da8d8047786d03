#include "class_picker.h"

#include "core/conditioning.h"

#include <QCompleter>
#include <QLineEdit>

namespace {
// Beyond this many classes the entries carry their number: "207: golden retriever".
constexpr int kNumberedFrom = 20;
} // namespace

ClassPicker::ClassPicker(QWidget* parent) : QComboBox(parent) {
    setEditable(true);
    setInsertPolicy(QComboBox::NoInsert);
    completer()->setCompletionMode(QCompleter::PopupCompletion);
    completer()->setFilterMode(Qt::MatchContains);
    completer()->setCaseSensitivity(Qt::CaseInsensitive);
    setMaxVisibleItems(20);
    setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    setMinimumContentsLength(16);
}

void ClassPicker::setClasses(const ModelInfo& model, bool offerAllClasses) {
    const bool hadChoice = count() > 1; // a list with classes, so the user could pick one
    const int previous = label();
    clear();
    // Without a null row (OpenAI's ADM) "no class" is a random class per image, as the official sampler does.
    addItem(model.numClasses > 0 && !model.nullClass ? tr("Random class per image") : tr("Unconditional"),
            cm::kNoClass);
    if (model.numClasses > 0 && offerAllClasses) addItem(tr("All classes in turn"), kAllClasses);
    const bool numbered = model.numClasses > kNumberedFrom;
    for (int c = 0; c < model.numClasses; ++c) {
        const QString name = model.classNames.value(c, tr("Class %1").arg(c));
        addItem(numbered ? QStringLiteral("%1: %2").arg(c).arg(name) : name, c);
    }
    setEnabled(model.numClasses > 0);
    if (model.numClasses > 0)
        lineEdit()->setPlaceholderText(tr("Type to search %n class(es)", "", model.numClasses));
    if (hadChoice && setLabel(previous)) return;
    if (!offerAllClasses || !setLabel(kAllClasses)) setCurrentIndex(0);
}

int ClassPicker::label() const {
    return currentIndex() >= 0 ? currentData().toInt() : cm::kNoClass;
}

bool ClassPicker::setLabel(int label) {
    const int at = findData(label);
    if (at < 0) return false;
    setCurrentIndex(at);
    return true;
}

void ClassPicker::focusOutEvent(QFocusEvent* event) {
    QComboBox::focusOutEvent(event);
    // Text typed to search that names no entry: show the entry that is still selected.
    if (currentIndex() >= 0 && currentText() != itemText(currentIndex())) setEditText(itemText(currentIndex()));
}
