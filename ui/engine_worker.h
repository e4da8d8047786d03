// The object that runs the engine, living on the Engine's worker thread. Only Engine talks to it (by
// queued calls); it owns the loaded model. Every public function runs on the worker thread.
#pragma once

#include "engine_types.h"

#include "core/editing.h"
#include "core/model.h"
#include "core/sampler.h"

#include <QObject>

#include <atomic>
#include <functional>
#include <optional>

class EngineWorker : public QObject {
    Q_OBJECT
  public:
    using Cancel = std::atomic<bool>;

    void loadModel(int job, const QString& path);
    void generate(int job, const cm::SampleParams& params, const Cancel& cancel);
    void chain(int job, const cm::SampleParams& params, const Cancel& cancel);
    void edit(int job, const cm::EditParams& params, bool live, const Cancel& cancel);
    void denoise(int job, const QVector<QImage>& images, double sigma, double addNoiseSigma, quint64 seed,
                 int classLabel, const Cancel& cancel);
    void interpolate(int job, const cm::InterpolationParams& params, const Cancel& cancel);

  signals:
    void modelLoaded(int job, const ModelInfo& info);
    void progress(int job, long done, long total);
    void finished(const JobResult& result);
    void failed(int job, JobKind kind, const QString& message);
    void cancelled(int job, JobKind kind);

  private:
    // Runs `work` with the error handling every job shares: cancelled, engine errors, anything else.
    void run(int job, JobKind kind, const Cancel& cancel, const std::function<JobResult()>& work);
    const cm::Model& requireModel() const;
    cm::ProgressFn progressFor(int job);
    QVariantMap baseSettings() const;

    std::optional<cm::Model> m_model;
    ModelInfo m_info; // of the loaded model
};
