// The GUI's handle on the engine: one long-lived worker object on its own QThread (Qt's mandelbrot
// pattern). Requests go in as engine parameter structs, results come back as QImages through queued
// signals. Owned and called by the GUI thread only; nothing here blocks on the network.
#pragma once

#include "engine_types.h"

#include "core/editing.h"
#include "core/model_import.h"
#include "core/sampler.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <map>
#include <set>
#include <memory>

class EngineWorker;

class Engine : public QObject {
    Q_OBJECT
  public:
    explicit Engine(QObject* parent = nullptr);
    ~Engine() override; // cancels what runs and joins the worker thread

    // Each returns the job's id, echoed by the signals below. Jobs run one at a time, in order.
    // Any format the engine opens; `options` fill what a `.pt` file or a diffusers folder cannot say.
    int loadModel(const QString& path, const cm::ImportOptions& options = {});
    // Reads a foreign model and reports what was inferred (importInspected); a loadModel of the same path
    // and options right after opens it without reading the file again.
    int inspectImport(const QString& path, const cm::ImportOptions& options);
    void forgetImport(); // frees what the last inspection read (after its dialog was cancelled)
    int generate(const cm::SampleParams& params);
    // The refine view: the chosen schedule's clean estimates step by step, and the same seed with
    // 1..4 steps (consistency models) or the Heun trajectory (denoisers).
    int chain(const cm::SampleParams& params);
    // `live`: a preview that a newer live request supersedes (cancelled if running, skipped if queued).
    int edit(const cm::EditParams& params, bool live = false);
    // Adds N(0, addNoiseSigma^2) noise first when addNoiseSigma > 0 (a demonstration input), then denoises.
    int denoise(const QVector<QImage>& images, double sigma, double addNoiseSigma, quint64 seed,
                const cm::Conditioning& conditioning);
    int interpolate(const cm::InterpolationParams& params);
    // The Compress view's tokenizer, held beside the model (loading one does not unload the other), with
    // the autoencoder and code generator the user chose for it ("": those found beside it).
    int loadTokenizer(const QString& path, const QString& autoencoder = {}, const QString& codeGenerator = {});
    int compress(const CompressRequest& request);
    int generateCodes(const GenerateCodesRequest& request); // with the loaded tokenizer's code generator
    // The Style view's style model, held beside the model and the tokenizer. A file that is not a style
    // model fails with the core's message and the previous style model stays.
    int loadStyleModel(const QString& path);
    int stylize(const StyleRequest& request);

    void cancelAll(); // every queued and running job stops within one network evaluation
    bool busy() const { return !m_pending.empty(); }
    // A tokenizer's job (its progress counts whole evaluations, never the model's blocks).
    // A job of a model held beside the main one (tokenizer, style model): its progress counts whole
    // evaluations, never the main model's blocks.
    bool countsWholeEvaluations(int job) const { return m_sideModelJobs.count(job) > 0; }
    const ModelInfo& model() const { return m_model; } // the last model loaded successfully
    const TokenizerInfo& tokenizer() const { return m_tokenizer; } // the last tokenizer loaded successfully
    const StyleModelInfo& styleModel() const { return m_styleModel; } // the last style model loaded
    bool hasModel() const { return !m_model.path.isEmpty(); }

  signals:
    void modelLoaded(const ModelInfo& info);
    void tokenizerLoaded(int job, const TokenizerInfo& info);
    void styleModelLoaded(int job, const StyleModelInfo& info);
    void importInspected(int job, const ImportReport& report);
    void progress(int job, long done, long total);
    void finished(const JobResult& result);
    void failed(int job, JobKind kind, const QString& message);
    void cancelled(int job, JobKind kind);
    void busyChanged(bool busy);

  private:
    using CancelPtr = std::shared_ptr<std::atomic<bool>>;
    CancelPtr startJob(bool live);
    void endJob(int job);

    QThread m_thread;
    EngineWorker* m_worker = nullptr;
    int m_nextJob = 1;
    std::map<int, CancelPtr> m_pending; // queued or running jobs and their cancel flags
    std::map<int, bool> m_liveJobs;
    std::set<int> m_sideModelJobs;
    ModelInfo m_model;
    TokenizerInfo m_tokenizer;
    StyleModelInfo m_styleModel;
};
