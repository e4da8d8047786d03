// The class to condition on: "no class", optionally "all classes in turn", and each class of the model by
// name. Editable: typing any part of a name (or a number) filters the list, so ImageNet's 1,000 classes
// are found in a keystroke or two. Data of each entry is the label (cm::kNoClass, kAllClasses or 0..K-1).
#pragma once

#include "engine_types.h"

#include <QComboBox>

class ClassPicker : public QComboBox {
    Q_OBJECT
  public:
    static constexpr int kAllClasses = -2; // one class per image, in turn

    explicit ClassPicker(QWidget* parent = nullptr);
    // Fills the list for `model` (disabled for an unconditional one); keeps the chosen class when the
    // new model has it.
    void setClasses(const ModelInfo& model, bool offerAllClasses);
    int label() const;
    // Selects `label`; false (and nothing changes) when the list has no such entry.
    bool setLabel(int label);

  protected:
    void focusOutEvent(QFocusEvent* event) override;
};
