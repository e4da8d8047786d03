#include "batch_history.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>

BatchHistory::BatchHistory(QWidget* parent) : QWidget(parent) {
    m_shown = new QComboBox;
    m_shown->setToolTip(tr("The batches of this session: pick one to show it in the gallery"));
    m_shown->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_shown->setMinimumContentsLength(4);
    m_compared = new QComboBox;
    m_compared->setToolTip(tr("Show a second batch beside the first, e.g. the same seeds from another model"));
    m_compared->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_compared->setMinimumContentsLength(2);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Batch")));
    layout->addWidget(m_shown, 3);
    layout->addWidget(new QLabel(tr("Compare")));
    layout->addWidget(m_compared, 2);
    rebuild();
    connect(m_shown, &QComboBox::currentIndexChanged, this, [this](int index) { emit shownChanged(index); });
    connect(m_compared, &QComboBox::currentIndexChanged, this,
            [this](int index) { emit comparedChanged(index - 1); }); // item 0 is "none"
}

QString BatchHistory::label(const GeneratedBatch& batch) {
    const QVariantMap first = batch.settings.value(0);
    const qulonglong seed = first.value("seed").toString().toULongLong();
    const int n = int(batch.images.size());
    const QString seeds = n > 1 ? tr("seeds %1–%2").arg(seed).arg(seed + qulonglong(n) - 1) : tr("seed %1").arg(seed);
    const QString sampler = first.value("sampler").toString();
    QString schedule;
    if (sampler == QLatin1String("onestep")) {
        schedule = tr("1 step");
    } else if (sampler == QLatin1String("multistep")) {
        QStringList sigmas;
        for (const QVariant& sigma : first.value("sigmas").toList()) sigmas << QString::number(sigma.toDouble(), 'g', 3);
        schedule = QStringLiteral("σ ") + sigmas.join(QStringLiteral(", "));
    } else {
        schedule = tr("%1, %2 NFE").arg(sampler, QString::number(batch.nfe));
    }
    return tr("#%1 %2 · %3 · %4 · %n image(s)", "", n).arg(batch.number).arg(batch.model, seeds, schedule);
}

void BatchHistory::add(const GeneratedBatch& batch) {
    GeneratedBatch numbered = batch;
    numbered.number = m_nextNumber++;
    m_batches.prepend(numbered);
    qint64 bytes = 0;
    for (int i = 0; i < m_batches.size(); ++i) {
        for (const QImage& image : m_batches[i].images) bytes += image.sizeInBytes();
        // The newest always stays, however large.
        if (i > 0 && (i >= kMaxBatches || bytes > kMaxBytes)) {
            m_batches.resize(i);
            break;
        }
    }
    rebuild();
    emit shownChanged(0);
}

void BatchHistory::rebuild() {
    const QSignalBlocker quietShown(m_shown);
    const QSignalBlocker quietCompared(m_compared);
    m_shown->clear();
    m_compared->clear();
    m_compared->addItem(tr("none"));
    for (const GeneratedBatch& batch : std::as_const(m_batches)) {
        m_shown->addItem(label(batch));
        m_compared->addItem(label(batch));
        m_shown->setItemData(m_shown->count() - 1, label(batch), Qt::ToolTipRole);
        m_compared->setItemData(m_compared->count() - 1, label(batch), Qt::ToolTipRole);
    }
    m_shown->setCurrentIndex(m_batches.isEmpty() ? -1 : 0);
    m_compared->setCurrentIndex(0);
    m_shown->setEnabled(!m_batches.isEmpty());
    m_compared->setEnabled(m_batches.size() > 1);
    emit comparedChanged(-1);
}

int BatchHistory::shown() const { return m_shown->currentIndex(); }
int BatchHistory::compared() const { return m_compared->currentIndex() - 1; }
void BatchHistory::show(int index) { m_shown->setCurrentIndex(index); }
void BatchHistory::compareWith(int index) { m_compared->setCurrentIndex(index + 1); }
