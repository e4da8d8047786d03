// The object that runs the engine, living on the Engine's worker thread. Only Engine talks to it (by
// queued calls); it owns the loaded model. Every public function runs on the worker thread.
#pragma once

#include "engine_types.h"

#include "core/editing.h"
#include "core/model.h"
#include "core/model_import.h"
#include "core/sampler.h"
#include "core/tokenizer/code_generator.h"
#include "core/tokenizer/equal_bits_baselines.h"
#include "core/tokenizer/tokenizer.h"

#include <QObject>

#include <atomic>
#include <functional>
#include <optional>

class EngineWorker : public QObject {
    Q_OBJECT
  public:
    using Cancel = std::atomic<bool>;

    // Any format the engine opens; `options` fill what a foreign file cannot say (model_import.h).
    void loadModel(int job, const QString& path, const cm::ImportOptions& options);
    // Reads a foreign file and reports what it inferred; keeps the result for the loadModel that follows.
    void inspectImport(int job, const QString& path, const cm::ImportOptions& options);
    void forgetImport() { m_inspected.reset(); } // the import step was cancelled: free its tensors
    void generate(int job, const cm::SampleParams& params, const Cancel& cancel);
    void chain(int job, const cm::SampleParams& params, const Cancel& cancel);
    void edit(int job, const cm::EditParams& params, bool live, const Cancel& cancel);
    void denoise(int job, const QVector<QImage>& images, double sigma, double addNoiseSigma, quint64 seed,
                 const cm::Conditioning& conditioning, const Cancel& cancel);
    void interpolate(int job, const cm::InterpolationParams& params, const Cancel& cancel);
    // `autoencoder`, `codeGenerator`: files chosen for it instead of those beside it ("" = look beside it).
    void loadTokenizer(int job, const QString& path, const QString& autoencoder, const QString& codeGenerator);
    // Encodes (or parses) the code, then decodes it with the one-step decoder (or one Euler step when the
    // file has none) and with the N-step flow sampler; progress counts the evaluations of both.
    // With an image, also its baselines at the same bits (those found for the tokenizer); the k-means
    // codebook is learned from the tokenizer's training images at the first image (seed 0, 5,000 images).
    void compress(int job, const CompressRequest& request, const Cancel& cancel);
    void generateCodes(int job, const GenerateCodesRequest& request, const Cancel& cancel);

    // A style model (Error for any other model: requireStyleModel's message); the previous one stays.
    void loadStyleModel(int job, const QString& path);
    void stylize(int job, const StyleRequest& request, const Cancel& cancel);

  signals:
    void modelLoaded(int job, const ModelInfo& info);
    void tokenizerLoaded(int job, const TokenizerInfo& info);
    void styleModelLoaded(int job, const StyleModelInfo& info);
    void importInspected(int job, const ImportReport& report);
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
    struct Inspected {
        QString path;
        cm::ImportOptions options;
        cm::ImportedModel model;
    };
    std::optional<Inspected> m_inspected; // the last inspection's tensors: opening it reads nothing again
    ModelInfo m_info; // of the loaded model
    std::optional<cm::Tokenizer> m_tokenizer;
    // Beside the tokenizer: its baselines (the codebook learned lazily: m_patchVqTried) and code generator.
    cm::EqualBitsBaselines m_baselines;
    bool m_patchVqTried = false;
    cm::CompanionProblem m_patchVqMissing;
    std::optional<cm::CodeGenerator> m_generator;
    TokenizerInfo m_tokenizerInfo;
    std::optional<cm::Model> m_styleModel;
    StyleModelInfo m_styleInfo;
};
