// The import step for a foreign model (a PyTorch `.pt`, a diffusers folder): shows what the engine read
// from the file and what it assumed, and lets the user give what the tensors cannot say (kind, image size,
// channels per head, recommended schedule). "Check" reads the file again with those settings; "Open" is
// enabled once a check succeeded with the settings shown. The file is read on the engine's worker thread.
#pragma once

#include "engine_types.h"

#include "core/model_import.h"

#include <QDialog>

class Engine;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

class ImportDialog : public QDialog {
    Q_OBJECT
  public:
    ImportDialog(Engine* engine, const QString& path, const cm::ImportOptions& initial, QWidget* parent = nullptr);
    // The settings of the last successful check (what Open opens with).
    cm::ImportOptions options() const { return m_checked; }
    const ImportReport& report() const { return m_report; }
    bool checking() const { return m_job != 0; }

  public slots:
    void check();

  private:
    cm::ImportOptions formOptions(QString* error) const;
    void setForm(const cm::ImportOptions& options);
    void showReport(const ImportReport& report);
    void updateButtons();

    Engine* m_engine;
    QString m_path;
    int m_job = 0;
    ImportReport m_report;
    cm::ImportOptions m_checked;
    bool m_formChanged = false;

    QLabel* m_status = nullptr;
    QPlainTextEdit* m_details = nullptr;
    QComboBox* m_kind = nullptr;
    QSpinBox* m_imageSize = nullptr;
    QSpinBox* m_headChannels = nullptr;
    QLineEdit* m_ts = nullptr;
    QSpinBox* m_steps = nullptr;
    QPushButton* m_checkButton = nullptr;
    QDialogButtonBox* m_buttons = nullptr;
};
