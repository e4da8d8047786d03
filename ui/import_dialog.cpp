#include "import_dialog.h"

#include "engine.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace {
constexpr int kKindFromFile = 0, kKindConsistency = 1, kKindDenoiser = 2;
} // namespace

ImportDialog::ImportDialog(Engine* engine, const QString& path, const cm::ImportOptions& initial, QWidget* parent)
    : QDialog(parent), m_engine(engine), m_path(path) {
    setWindowTitle(tr("Import %1").arg(QFileInfo(path).fileName()));
    m_status = new QLabel;
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details = new QPlainTextEdit;
    m_details->setReadOnly(true);
    m_details->setMinimumSize(520, 180);

    m_kind = new QComboBox;
    m_kind->addItem(tr("From the file name or its config"), kKindFromFile);
    m_kind->addItem(tr("Consistency model (CD, CT)"), kKindConsistency);
    m_kind->addItem(tr("EDM denoiser (a teacher)"), kKindDenoiser);
    m_imageSize = new QSpinBox;
    m_imageSize->setRange(0, 1024);
    m_imageSize->setSpecialValueText(tr("from the file name or its config"));
    m_imageSize->setSuffix(tr(" px"));
    m_headChannels = new QSpinBox;
    m_headChannels->setRange(0, 1024);
    m_headChannels->setSpecialValueText(tr("the published 64"));
    m_ts = new QLineEdit;
    m_ts->setPlaceholderText(tr("e.g. 0,22,39 (empty: the preset's)"));
    m_steps = new QSpinBox;
    m_steps->setRange(0, 100000);
    m_steps->setSpecialValueText(tr("the preset's"));

    m_kind->setObjectName("kind");
    m_imageSize->setObjectName("imageSize");
    m_headChannels->setObjectName("headChannels");
    m_ts->setObjectName("ts");
    m_steps->setObjectName("steps");
    auto* form = new QFormLayout;
    form->addRow(tr("Kind"), m_kind);
    form->addRow(tr("Image size"), m_imageSize);
    form->addRow(tr("Channels per attention head"), m_headChannels);
    form->addRow(tr("Recommended ts"), m_ts);
    form->addRow(tr("on a grid of steps"), m_steps);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel);
    m_checkButton = m_buttons->addButton(tr("Check"), QDialogButtonBox::ActionRole);
    m_checkButton->setObjectName("check");
    connect(m_checkButton, &QPushButton::clicked, this, &ImportDialog::check);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(m_details, 1);
    layout->addLayout(form);
    layout->addWidget(m_buttons);

    setForm(initial);
    const auto changed = [this] {
        m_formChanged = true;
        updateButtons();
    };
    connect(m_kind, &QComboBox::currentIndexChanged, this, changed);
    connect(m_imageSize, &QSpinBox::valueChanged, this, changed);
    connect(m_headChannels, &QSpinBox::valueChanged, this, changed);
    connect(m_ts, &QLineEdit::textChanged, this, changed);
    connect(m_steps, &QSpinBox::valueChanged, this, changed);
    connect(m_engine, &Engine::importInspected, this, [this](int job, const ImportReport& report) {
        if (job != m_job) return;
        m_job = 0;
        showReport(report);
    });
    check();
}

void ImportDialog::setForm(const cm::ImportOptions& options) {
    m_kind->setCurrentIndex(!options.kind                                ? kKindFromFile
                            : *options.kind == cm::ModelKind::Consistency ? kKindConsistency
                                                                          : kKindDenoiser);
    m_imageSize->setValue(options.imageSize);
    m_headChannels->setValue(options.headChannels);
    QStringList ts;
    for (int t : options.schedule.ts) ts << QString::number(t);
    m_ts->setText(ts.join(','));
    m_steps->setValue(options.schedule.steps);
    m_formChanged = false;
}

cm::ImportOptions ImportDialog::formOptions(QString* error) const {
    cm::ImportOptions options;
    const int kind = m_kind->currentData().toInt();
    if (kind == kKindConsistency) options.kind = cm::ModelKind::Consistency;
    if (kind == kKindDenoiser) options.kind = cm::ModelKind::EdmDenoiser;
    options.imageSize = m_imageSize->value();
    options.headChannels = m_headChannels->value();
    const QString ts = m_ts->text().trimmed();
    if (!ts.isEmpty()) {
        for (const QString& part : ts.split(',', Qt::SkipEmptyParts)) {
            bool ok = false;
            const int t = part.trimmed().toInt(&ok);
            if (!ok || t < 0) {
                *error = tr("ts are whole numbers >= 0 separated by commas, not \"%1\"").arg(part.trimmed());
                return {};
            }
            options.schedule.ts.push_back(t);
        }
        options.schedule.steps = m_steps->value();
        if (options.schedule.steps < 2 || options.schedule.ts.back() >= options.schedule.steps) {
            *error = tr("ts need a grid of more steps than the largest index (%1)").arg(options.schedule.ts.back());
            return {};
        }
    }
    return options;
}

void ImportDialog::check() {
    QString error;
    const cm::ImportOptions options = formOptions(&error);
    if (!error.isEmpty()) {
        m_status->setText(error);
        return;
    }
    m_checked = options;
    m_formChanged = false;
    m_report = {};
    m_status->setText(tr("Reading %1…").arg(QFileInfo(m_path).fileName()));
    m_job = m_engine->inspectImport(m_path, options);
    updateButtons();
}

void ImportDialog::showReport(const ImportReport& report) {
    m_report = report;
    if (report.ok)
        m_status->setText(tr("%1: %2").arg(report.format, report.summary));
    else
        m_status->setText(tr("This file does not open with these settings: %1").arg(report.error));
    QString details;
    if (!report.inferred.isEmpty()) details += tr("Read from the file:") + "\n  " + report.inferred.join("\n  ") + "\n";
    if (!report.assumed.isEmpty())
        details += tr("Assumed (set it below if it is wrong):") + "\n  " + report.assumed.join("\n  ") + "\n";
    m_details->setPlainText(details);
    updateButtons();
}

void ImportDialog::updateButtons() {
    m_buttons->button(QDialogButtonBox::Open)->setEnabled(m_job == 0 && m_report.ok && !m_formChanged);
    m_checkButton->setEnabled(m_job == 0);
}
