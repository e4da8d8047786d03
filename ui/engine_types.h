// The values that cross between the GUI thread and the engine's worker thread. Plain copyable values
// (QImage shares pixels copy-on-write, so passing them through queued signals is cheap and safe).
#pragma once

#include "core/tokenizer/companion_problem.h"

#include <QImage>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVariantMap>
#include <QVector>

// What the GUI shows of a loaded model (its card, flattened for forms and tooltips).
struct ModelInfo {
    QString path;
    QString name; // file name without ".safetensors"
    bool consistency = true;
    bool pointModel = false;
    int imageSize = 0;
    int channels = 1;
    int numClasses = 0; // 0: unconditional
    bool nullClass = true; // "no class" is the null label; otherwise a random class per image
    QStringList classNames;
    double sigmaMin = 0.002;
    double sigmaMax = 80.0;
    double rho = 7.0;
    qint64 parameters = 0;
    int progressUnitsPerEvaluation = 1; // progress counts blocks of a large network (cm::ProgressFn)
    QString recipe;
    QString trainingJson;
    qint64 trainingSteps = 0;
    QString dataset;
    QString notes;
    QVector<double> inpaintSigmas; // the engine's default inpainting schedule for this model
    // The schedule the card recommends (searched for the model, or the published one): noise levels, or
    // ts indices on a grid of recommendedGrid points; Heun points for a denoiser. Empty / 0: none.
    QVector<double> recommendedSigmas;
    QVector<int> recommendedTs;
    int recommendedGrid = 0;
    int recommendedHeunPoints = 0;
};

enum class JobKind {
    LoadModel, InspectImport, Generate, Chain, Edit, Denoise, Interpolate, LoadTokenizer, Compress, GenerateCodes,
    LoadStyleModel, Stylize
};

// What the GUI shows of a loaded tokenizer (core/tokenizer/tokenizer_card.h, flattened).
struct TokenizerInfo {
    QString path;
    QString name; // file name without ".safetensors"
    int imageSize = 0;
    int channels = 1;
    int tokens = 0;
    int bitsPerToken = 0;
    int codeBits = 0;
    double bitsPerPixel = 0;
    bool oneStepDecoder = false; // a consistency model distilled from the flow decoder is in the file
    int defaultSteps = 25;       // the flow sampler's steps on the card
    QStringList stages;          // "1a", "1b", "one-step"
    QString dataset;
    qint64 parameters = 0;
    // What goes with it (core/tokenizer/tokenizer_companions.h): a file path, or "" with the reason in
    // ...Missing (the view words it). The k-means codebook is learned from the card's dataset at the first
    // Compress.
    QString autoencoder, codeGenerator, classifier; // the deterministic autoencoder at the same bits, the
                                                    // stage-2 model of its codes, the codecs' judge
    cm::CompanionProblem autoencoderMissing, codeGeneratorMissing, classifierMissing;
    QStringList generatorClasses; // the code generator's class names (one "" per class when it has none)
};

// A Compress job: encode `image` (at the tokenizer's size and channels) and decode its code, or, without
// an image, decode `code` (hex). Every decoder of the list runs on the same code and seed.
struct CompressRequest {
    QImage image;
    QString code;
    int steps = 25;   // the flow decoder's Euler steps (the N of "1 step and N steps")
    quint64 seed = 0; // the decoders' starting noise
};

// One decoder's image of a code: the one-step decoder, the N-step flow decoder (and, later, baselines at
// the same bit count). psnr < 0: no original to compare with (a pasted code).
struct Reconstruction {
    enum Decoder { OneStep, SingleEulerStep, Flow };
    Decoder decoder = Flow;
    int steps = 0;
    int evaluations = 0;
    QImage image;
    double psnr = -1;
    double seconds = 0;
};

// A baseline's image of the same original (core/tokenizer/equal_bits_baselines.h): at the tokenizer's bit
// count (autoencoder, k-means) or at its smallest recognisable file (JPEG, WebP).
struct BaselineImage {
    enum Kind { Autoencoder, PatchVq, Jpeg, Webp };
    Kind kind = Autoencoder;
    QImage image;
    double bits = 0;
    double psnr = 0;
    int evaluations = 0;
    double seconds = 0;
    long bytes = 0;           // codecs
    int quality = 0;          // codecs
    bool recognisable = true; // codecs
    int patchSize = 0, codebookSize = 0; // k-means
};

struct CodeResult {
    QString hex;
    QVector<quint8> bits; // token-major, as core/tokenizer/token_code.h
    int bitsPerToken = 0;
    double bitsPerPixel = 0;
    QImage original; // what was encoded (null for a pasted code)
    QVector<Reconstruction> reconstructions;
    QVector<BaselineImage> baselines; // only for an encoded image (a pasted code has no original)
    QVector<cm::CompanionProblem> missingBaselines; // one per baseline left out, saying why
};

// Stage 2: `count` codes drawn from the tokenizer's code generator (code j of class classIndex, or of
// class j mod classes for -1, from seed + j) and decoded with `steps` flow steps.
struct GenerateCodesRequest {
    int classIndex = -1;
    int count = 4;
    quint64 seed = 0;
    int steps = 25;
    double temperature = 1;
};

struct GeneratedCodes {
    quint64 seed = 0;
    int steps = 0;
    int evaluations = 0; // per image
    QVector<QImage> images;
    QStringList hex;
    QVector<int> classes;
};

// What the Style view shows of a loaded style model (core/style, its card flattened).
struct StyleModelInfo {
    QString path;
    QString name; // file name without ".safetensors"
    bool consistency = false; // one-step (distilled) rather than a denoiser sampled with Heun
    int imageSize = 0;
    int defaultSteps = 0;  // cm::defaultStylizeSteps: 1 for a consistency model, Heun points otherwise
    QStringList prompts;   // the garments a prompt may name (canonical words)
    int queries = 0;       // learned queries per extractor
    qint64 parameters = 0;
    qint64 trainingSteps = 0;
    QString dataset;
};

// A Style job: `count` images of each prompt in the style of `reference` (any size: fitted by the core).
struct StyleRequest {
    QImage reference;
    QString referenceName; // names it in messages and in the saved settings
    QStringList prompts;
    int count = 4;
    int steps = 0; // 0: the card's default
    quint64 seed = 0;
    bool useContent = false; // both token sets of the reference, not DEADiff's style mode (content zeroed)
};

struct StyleResult {
    QImage reference;  // as the model read it (fitted)
    QStringList notes; // what fitting changed
    QStringList prompts;
    QVector<QVector<QImage>> images; // [prompt][j]; image j of every prompt from seed + j
    quint64 seed = 0;
    int steps = 0;
    int evaluations = 0; // per image
};

// What the engine made of a foreign model file (a PyTorch `.pt`, a diffusers folder) before opening it.
struct ImportReport {
    QString path;
    bool ok = false;  // it would open with these options
    QString error;    // why not (names the setting to give)
    QString format;   // "PyTorch state_dict", "diffusers folder"
    QString summary;  // kind, size, parameters, schedule
    QStringList inferred, assumed;
};

struct JobResult {
    int job = 0;
    JobKind kind = JobKind::Generate;
    bool live = false;     // a live-inpainting preview (superseded by newer ones)
    QVector<QImage> images; // the result, one per requested image (or frame)
    // Chain: [0] the clean estimate after each step of the chosen schedule, [1] the same seed sampled
    // with 1, 2, 3 and 4 steps. Denoise: [0] the noisy inputs. Generate with intermediates: per step.
    QVector<QVector<QImage>> rows;
    QVector<double> sigmas;
    int nfe = 0;
    double seconds = 0;
    QVariantMap settings; // seed, sampler, sigmas, task...: what the PNG text chunks record
    CodeResult code;      // Compress
    GeneratedCodes generated; // GenerateCodes
    StyleResult style;        // Stylize
};

Q_DECLARE_METATYPE(ModelInfo)
Q_DECLARE_METATYPE(ImportReport)
Q_DECLARE_METATYPE(JobResult)
Q_DECLARE_METATYPE(TokenizerInfo)
Q_DECLARE_METATYPE(StyleModelInfo)
