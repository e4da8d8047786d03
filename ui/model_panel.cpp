#include "model_panel.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace {

QString jsonValueText(const QJsonValue& value) {
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    return value.toVariant().toString();
}

} // namespace

ModelPanel::ModelPanel(const QStringList& bundledModels, QWidget* parent) : QWidget(parent) {
    m_bundled = new QListWidget;
    m_bundled->setToolTip(tr("Models that come with CM Studio, trained by its own trainer. Click to load."));
    for (const QString& path : bundledModels) {
        auto* item = new QListWidgetItem(QFileInfo(path).completeBaseName());
        item->setData(Qt::UserRole, path);
        item->setToolTip(path);
        m_bundled->addItem(item);
    }
    m_bundled->setMaximumHeight(std::max(60, std::min(180, 22 * int(bundledModels.size()) + 8)));
    auto* open = new QPushButton(tr("Open model file…"));
    open->setToolTip(tr("Load a .safetensors model written by CM Studio's trainer"));
    m_card = new QTextBrowser;
    m_card->setOpenLinks(false);
    m_card->setPlaceholderText(tr("No model loaded"));

    setMinimumWidth(200);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Bundled models")));
    layout->addWidget(m_bundled);
    layout->addWidget(open);
    layout->addWidget(new QLabel(tr("Model card")));
    layout->addWidget(m_card, 1);

    connect(m_bundled, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* item) { emit modelRequested(item->data(Qt::UserRole).toString()); });
    connect(open, &QPushButton::clicked, this, &ModelPanel::openFileRequested);
}

QString ModelPanel::cardHtml(const ModelInfo& m) {
    auto row = [](const QString& key, const QString& value) {
        return QString("<tr><td style='padding-right:8px'><b>%1</b></td><td>%2</td></tr>")
            .arg(key.toHtmlEscaped(), value.toHtmlEscaped());
    };
    QString html = QString("<h3>%1</h3><table>").arg(m.name.toHtmlEscaped());
    html += row(tr("Kind"), m.consistency ? tr("Consistency model (one or a few steps)")
                                          : tr("EDM denoiser (Heun/Euler; a teacher)"));
    if (m.pointModel) {
        html += row(tr("Data"), tr("2-D points"));
    } else {
        html += row(tr("Size"), tr("%1 × %1").arg(m.imageSize));
        html += row(tr("Channels"), m.channels == 1 ? tr("1 (grey)") : tr("3 (RGB)"));
    }
    // ImageNet's 1,000 names would fill the panel: the first few, then the count (the class picker has all).
    constexpr int kClassesListed = 12;
    QString classes = QString::number(m.numClasses);
    if (!m.classNames.isEmpty()) {
        classes += ": " + m.classNames.mid(0, kClassesListed).join(", ");
        if (m.classNames.size() > kClassesListed) classes += tr(", … (%n more)", "", int(m.classNames.size()) - kClassesListed);
    }
    html += row(tr("Classes"), m.numClasses == 0 ? tr("none (unconditional)") : classes);
    html += row(tr("Recipe"), m.recipe.isEmpty() ? tr("unknown") : m.recipe);
    html += row(tr("Training steps"), QLocale().toString(m.trainingSteps));
    html += row(tr("Data set"), m.dataset.isEmpty() ? tr("unknown") : m.dataset);
    html += row(tr("Parameters"), QLocale().toString(m.parameters));
    html += row(tr("Noise range"), QString("σ ∈ [%1, %2]").arg(m.sigmaMin).arg(m.sigmaMax));
    html += "</table>";
    const QJsonObject training = QJsonDocument::fromJson(m.trainingJson.toUtf8()).object();
    if (!training.isEmpty()) {
        html += "<p><b>" + tr("Hyper-parameters").toHtmlEscaped() + "</b><br>";
        QStringList parts;
        for (auto it = training.begin(); it != training.end(); ++it)
            parts << QString("%1 = %2").arg(it.key(), jsonValueText(it.value())).toHtmlEscaped();
        html += parts.join("<br>") + "</p>";
    }
    if (!m.notes.isEmpty()) html += "<p><b>" + tr("Notes").toHtmlEscaped() + "</b><br>" + m.notes.toHtmlEscaped() + "</p>";
    html += "<p style='color:gray'>" + m.path.toHtmlEscaped() + "</p>";
    return html;
}

void ModelPanel::showModel(const ModelInfo& model) {
    m_card->setHtml(cardHtml(model));
    QListWidgetItem* loaded = nullptr;
    for (int i = 0; i < m_bundled->count(); ++i) {
        QListWidgetItem* item = m_bundled->item(i);
        QFont font = item->font();
        const bool isLoaded = QFileInfo(item->data(Qt::UserRole).toString()) == QFileInfo(model.path);
        font.setBold(isLoaded);
        item->setFont(font);
        if (isLoaded) loaded = item;
    }
    // The highlight is the loaded model's (none for a file from elsewhere), not the last one clicked.
    const QSignalBlocker quiet(m_bundled);
    m_bundled->clearSelection();
    m_bundled->setCurrentItem(loaded, loaded ? QItemSelectionModel::ClearAndSelect : QItemSelectionModel::Clear);
}

QString ModelPanel::highlightedModel() const {
    const QList<QListWidgetItem*> selected = m_bundled->selectedItems();
    return selected.isEmpty() ? QString() : selected.front()->data(Qt::UserRole).toString();
}
