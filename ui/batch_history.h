// The batches generated in this session, newest first: their images, the settings of each image and a
// label (model, seeds, schedule), so that neither a new batch nor a change of model loses one, and two can
// be shown side by side. Bounded: the oldest batches go first past kMaxBatches or kMaxBytes of pixels.
#pragma once

#include <QImage>
#include <QVariantMap>
#include <QVector>
#include <QWidget>

class QComboBox;

struct GeneratedBatch {
    QVector<QImage> images;
    QVector<QVariantMap> settings; // settings[i] made images[i]
    QString model;                 // the model's name
    double seconds = 0;
    int nfe = 0;
    int number = 0; // 1 for the session's first batch (set by BatchHistory::add)
};

class BatchHistory : public QWidget {
    Q_OBJECT
  public:
    static constexpr int kMaxBatches = 32;
    static constexpr qint64 kMaxBytes = 256LL << 20;

    explicit BatchHistory(QWidget* parent = nullptr);

    // Adds a batch as the newest and shows it.
    void add(const GeneratedBatch& batch);
    int count() const { return int(m_batches.size()); }
    const GeneratedBatch& batch(int index) const { return m_batches[index]; } // 0 is the newest
    int shown() const;    // the batch in the gallery, -1 when there is none
    int compared() const; // the batch beside it, -1 when not comparing
    void show(int index);
    void compareWith(int index); // -1 ends the comparison
    static QString label(const GeneratedBatch& batch);

  signals:
    void shownChanged(int index);
    void comparedChanged(int index);

  private:
    void rebuild();

    QVector<GeneratedBatch> m_batches;
    int m_nextNumber = 1;
    QComboBox* m_shown = nullptr;
    QComboBox* m_compared = nullptr;
};
