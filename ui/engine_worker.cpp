#include "engine_worker.h"

#include "image_convert.h"
#include "schedule_presets.h"

#include "core/error.h"
#include "core/model_card.h"
#include "core/style/stylize.h"
#include "core/style_world.h"
#include "core/tokenizer/generate_images.h"
#include "core/tokenizer/tokenizer_companions.h"
#include "core/tokenizer/tokenizer_evaluation.h"

#include <QCoreApplication>

#include <QElapsedTimer>
#include <QFileInfo>
#include <QLocale>

namespace {

// Training images k-means learns its codebook from (as `tokenize eval --baseline kmeans`'s --train-n).
constexpr long kPatchVqTrainingImages = 5000;

QVector<QImage> toQImages(const std::vector<cv::Mat>& images) {
    QVector<QImage> out;
    out.reserve(static_cast<qsizetype>(images.size()));
    for (const cv::Mat& image : images) out.push_back(matToQImage(image));
    return out;
}

QVariantList toVariantList(const std::vector<double>& values) {
    QVariantList list;
    for (double v : values) list.push_back(v);
    return list;
}

QVector<double> toQVector(const std::vector<double>& values) { return QVector<double>(values.begin(), values.end()); }

ModelInfo describe(const cm::Model& model, const QString& path) {
    const cm::ModelCard& card = model.card();
    ModelInfo info;
    info.path = path;
    info.name = QFileInfo(path).completeBaseName();
    info.consistency = card.kind == cm::ModelKind::Consistency;
    info.pointModel = !card.network.producesImages();
    info.imageSize = card.network.imageSize;
    info.channels = card.network.channels;
    info.numClasses = card.network.numClasses;
    info.nullClass = card.network.hasNullClass();
    for (const std::string& name : card.classNames) info.classNames.push_back(QString::fromStdString(name));
    info.sigmaMin = card.noise.sigmaMin;
    info.sigmaMax = card.noise.sigmaMax;
    info.rho = card.noise.rho;
    info.parameters = model.parameterCount();
    info.progressUnitsPerEvaluation = model.progressUnitsPerEvaluation();
    info.recipe = QString::fromStdString(card.recipe);
    info.trainingJson = QString::fromStdString(card.trainingJson);
    info.trainingSteps = card.trainingSteps;
    info.dataset = QString::fromStdString(card.dataset);
    info.notes = QString::fromStdString(card.notes);
    if (info.consistency && !info.pointModel)
        info.inpaintSigmas = toQVector(cm::defaultEditSigmas(cm::EditTask::Inpaint, card));
    info.recommendedSigmas = toQVector(card.recommended.sigmas);
    for (int t : card.recommended.ts) info.recommendedTs.push_back(t);
    info.recommendedGrid = card.recommended.steps;
    info.recommendedHeunPoints = card.recommended.heunPoints;
    return info;
}

bool sameImportOptions(const cm::ImportOptions& a, const cm::ImportOptions& b) {
    return a.imageSize == b.imageSize && a.headChannels == b.headChannels && a.kind == b.kind &&
           a.schedule.toJson() == b.schedule.toJson();
}

} // namespace

void EngineWorker::run(int job, JobKind kind, const Cancel& cancel, const std::function<JobResult()>& work) {
    if (cancel) {
        emit cancelled(job, kind);
        return;
    }
    try {
        QElapsedTimer timer;
        timer.start();
        JobResult result = work();
        result.job = job;
        result.kind = kind;
        result.seconds = timer.nsecsElapsed() * 1e-9;
        emit finished(result);
    } catch (const cm::Error& error) {
        if (error.kind() == cm::ErrorKind::Cancelled)
            emit cancelled(job, kind);
        else
            emit failed(job, kind, QString::fromStdString(error.what()));
    } catch (const std::exception& error) {
        emit failed(job, kind, QString::fromStdString(error.what()));
    }
}

const cm::Model& EngineWorker::requireModel() const {
    if (!m_model) throw cm::Error(cm::ErrorKind::InvalidArgument, "no model is loaded");
    return *m_model;
}

cm::ProgressFn EngineWorker::progressFor(int job) {
    return [this, job](long done, long total) { emit progress(job, done, total); };
}

QVariantMap EngineWorker::baseSettings() const {
    QVariantMap settings;
    settings["model"] = m_info.name;
    return settings;
}

void EngineWorker::loadModel(int job, const QString& path, const cm::ImportOptions& options) {
    try {
        const std::string file = path.toStdString();
        std::optional<cm::Model> model;
        if (m_inspected && m_inspected->path == path && sameImportOptions(m_inspected->options, options)) {
            model = cm::Model::fromImported(m_inspected->model, file);
        } else {
            m_inspected.reset(); // its tensors would double the memory this load needs
            model = cm::Model::load(file, options);
        }
        m_inspected.reset();
        const ModelInfo info = describe(*model, path);
        m_model = std::move(model);
        m_info = info;
        emit modelLoaded(job, info);
    } catch (const std::exception& error) {
        // The previous model stays loaded: a bad file loses nothing.
        emit failed(job, JobKind::LoadModel, QString::fromStdString(error.what()));
    }
}

void EngineWorker::inspectImport(int job, const QString& path, const cm::ImportOptions& options) {
    ImportReport report;
    report.path = path;
    m_inspected.reset();
    try {
        const std::string file = path.toStdString();
        report.format = QString::fromUtf8(cm::modelFormatName(cm::detectModelFormat(file)));
        cm::ImportedModel imported = cm::importModel(file, options);
        for (const auto& line : imported.inferred) report.inferred << QString::fromStdString(line);
        for (const auto& line : imported.assumed) report.assumed << QString::fromStdString(line);
        const cm::ModelCard& card = imported.card;
        report.summary = QString::fromUtf8(cm::modelKindName(card.kind)) + ", " +
                         QString::number(card.network.imageSize) + " px, " +
                         QLocale().toString(qlonglong(card.network.parameterCount())) + " parameters" +
                         (card.recommended.empty() ? QString()
                                                   : ", " + QString::fromStdString(card.recommended.describe()));
        report.ok = true;
        m_inspected = Inspected{path, options, std::move(imported)};
    } catch (const std::exception& error) {
        report.error = QString::fromStdString(error.what());
    }
    emit importInspected(job, report);
}

void EngineWorker::generate(int job, const cm::SampleParams& params, const Cancel& cancel) {
    run(job, JobKind::Generate, cancel, [&] {
        const cm::SampleResult sampled = cm::sample(requireModel(), params, progressFor(job), &cancel);
        JobResult result;
        result.images = toQImages(sampled.images);
        for (const auto& step : sampled.intermediates) result.rows.push_back(toQImages(step));
        result.sigmas = toQVector(sampled.sigmas);
        result.nfe = sampled.nfe;
        result.settings = baseSettings();
        result.settings["seed"] = QString::number(params.seed);
        result.settings["class"] = params.conditioning.sharedClass();
        result.settings["sampler"] = cm::samplerKindName(params.sampler);
        result.settings["sigmas"] = toVariantList(sampled.sigmas);
        result.settings["nfe"] = sampled.nfe;
        if (params.sampler == cm::SamplerKind::Euler || params.sampler == cm::SamplerKind::Heun)
            result.settings["edmPoints"] = params.edmPoints;
        return result;
    });
}

void EngineWorker::chain(int job, const cm::SampleParams& params, const Cancel& cancel) {
    run(job, JobKind::Chain, cancel, [&] {
        const cm::Model& model = requireModel();
        const ModelInfo& info = m_info;
        const bool consistency = info.consistency;
        const QVector<int> points = denoiserPresetPoints();
        const int variants = consistency ? 4 : int(points.size());
        // Progress counts network evaluations (or blocks, for large networks) over the whole job.
        cm::SampleParams main = params;
        main.count = 1;
        main.keepIntermediates = true;
        const std::vector<double> mainSigmas = cm::resolveSigmas(model.card(), main);
        long total = consistency ? long(mainSigmas.size()) : cm::heunEvaluations(main.edmPoints);
        for (int v = 0; v < variants; ++v) total += consistency ? v + 1 : cm::heunEvaluations(points[v]);
        const long units = model.progressUnitsPerEvaluation();
        total *= units;
        long done = 0;
        auto progress = [&](long step, long) { emit this->progress(job, done + step, total); };

        JobResult result;
        const cm::SampleResult chained = cm::sample(model, main, progress, &cancel);
        done += chained.nfe * units;
        QVector<QImage> chainRow;
        for (const auto& step : chained.intermediates) chainRow.push_back(matToQImage(step.front()));
        result.rows.push_back(chainRow);
        result.sigmas = toQVector(chained.sigmas);
        result.images = toQImages(chained.images);

        QVector<QImage> variantRow;
        QVariantList variantNfe;
        for (int v = 0; v < variants; ++v) {
            cm::SampleParams variant = main;
            variant.keepIntermediates = false;
            variant.ts.clear();
            if (consistency) {
                const QVector<double> sigmas = consistencyPresetSigmas(v + 1, info);
                variant.sigmas.assign(sigmas.begin(), sigmas.end());
                variant.sampler = v == 0 ? cm::SamplerKind::OneStep : cm::SamplerKind::Multistep;
                if (v == 0) variant.sigmas.clear();
            } else {
                variant.sampler = cm::SamplerKind::Heun;
                variant.edmPoints = points[v];
            }
            const cm::SampleResult sampled = cm::sample(model, variant, progress, &cancel);
            done += sampled.nfe * units;
            variantRow.push_back(matToQImage(sampled.images.front()));
            variantNfe.push_back(sampled.nfe);
        }
        result.rows.push_back(variantRow);
        result.nfe = int(done / units);
        result.settings = baseSettings();
        result.settings["seed"] = QString::number(params.seed);
        result.settings["class"] = params.conditioning.sharedClass();
        result.settings["sigmas"] = toVariantList(chained.sigmas);
        result.settings["variantNfe"] = variantNfe;
        return result;
    });
}

void EngineWorker::edit(int job, const cm::EditParams& params, bool live, const Cancel& cancel) {
    run(job, JobKind::Edit, cancel, [&] {
        const cm::EditResult edited = cm::edit(requireModel(), params, progressFor(job), &cancel);
        JobResult result;
        result.live = live;
        result.images = toQImages(edited.images);
        result.sigmas = toQVector(edited.sigmas);
        result.nfe = edited.nfe;
        result.settings = baseSettings();
        result.settings["task"] = cm::editTaskName(params.task);
        result.settings["seed"] = QString::number(params.seed);
        result.settings["class"] = params.conditioning.sharedClass();
        result.settings["sigmas"] = toVariantList(edited.sigmas);
        if (params.task == cm::EditTask::SuperResolution) result.settings["factor"] = params.factor;
        return result;
    });
}

void EngineWorker::denoise(int job, const QVector<QImage>& images, double sigma, double addNoiseSigma,
                           quint64 seed, const cm::Conditioning& conditioning, const Cancel& cancel) {
    run(job, JobKind::Denoise, cancel, [&] {
        const cm::Model& model = requireModel();
        std::vector<cv::Mat> inputs;
        for (const QImage& image : images) {
            if (image.width() != model.card().network.imageSize || image.height() != model.card().network.imageSize)
                throw cm::Error(cm::ErrorKind::Shape,
                                "the image is " + std::to_string(image.width()) + "x" + std::to_string(image.height()) +
                                    " but the model makes " + std::to_string(model.card().network.imageSize) +
                                    "x" + std::to_string(model.card().network.imageSize) + " images");
            inputs.push_back(qImageToMat(image, model.card().network.channels));
        }
        if (addNoiseSigma > 0) inputs = cm::addNoise(inputs, addNoiseSigma, seed);
        emit progress(job, 0, 1);
        const std::vector<cv::Mat> clean = cm::denoise(model, inputs, sigma, conditioning);
        emit progress(job, 1, 1);
        JobResult result;
        result.images = toQImages(clean);
        result.rows.push_back(toQImages(inputs));
        result.sigmas = {sigma};
        result.nfe = 1;
        result.settings = baseSettings();
        result.settings["task"] = "denoise";
        result.settings["sigma"] = sigma;
        if (addNoiseSigma > 0) {
            result.settings["addedNoise"] = addNoiseSigma;
            result.settings["seed"] = QString::number(seed);
        }
        return result;
    });
}

void EngineWorker::interpolate(int job, const cm::InterpolationParams& params, const Cancel& cancel) {
    run(job, JobKind::Interpolate, cancel, [&] {
        const std::vector<cv::Mat> frames = cm::interpolate(requireModel(), params, progressFor(job), &cancel);
        JobResult result;
        result.images = toQImages(frames);
        result.nfe = 1;
        result.settings = baseSettings();
        result.settings["seedA"] = QString::number(params.seedA);
        result.settings["seedB"] = QString::number(params.seedB);
        result.settings["frames"] = params.frames;
        result.settings["class"] = params.conditioning.sharedClass();
        if (!params.conditioningB.classLabels.empty()) result.settings["classB"] = params.conditioningB.sharedClass();
        return result;
    });
}

void EngineWorker::loadTokenizer(int job, const QString& path, const QString& autoencoder,
                                 const QString& codeGenerator) {
    try {
        cm::Tokenizer tokenizer = cm::Tokenizer::load(path.toStdString());
        const cm::TokenizerCard& card = tokenizer.card();
        TokenizerInfo info;
        info.path = path;
        info.name = QFileInfo(path).completeBaseName();
        info.imageSize = card.config.imageSize;
        info.channels = card.config.channels;
        info.tokens = card.config.tokens;
        info.bitsPerToken = card.config.bitsPerToken;
        info.codeBits = card.config.codeBits();
        info.bitsPerPixel = card.config.bitsPerPixel();
        info.oneStepDecoder = card.hasOneStepDecoder();
        info.defaultSteps = card.sampling.steps;
        for (const std::string& stage : card.stages) info.stages << QString::fromStdString(stage);
        info.dataset = QString::fromStdString(card.dataset);
        info.parameters = tokenizer.parameterCount();
        // What goes with it: files beside it, read now (small); a damaged one is left out with its error.
        const cm::TokenizerCompanions companions =
            cm::findTokenizerCompanions(path.toStdString(), card, QCoreApplication::applicationDirPath().toStdString(),
                                        {autoencoder.toStdString(), codeGenerator.toStdString()});
        cm::EqualBitsBaselines baselines;
        std::optional<cm::CodeGenerator> generator;
        // Each file is loaded on its own: a damaged one is left out, its error the reason shown.
        const auto loadCompanion = [](const std::string& file, const cm::CompanionProblem& missing, QString& loaded,
                                      cm::CompanionProblem& why, const auto& load) {
            why = missing;
            if (file.empty()) return;
            try {
                load(file);
                loaded = QString::fromStdString(file);
            } catch (const std::exception& error) {
                why.kind = cm::CompanionProblem::Failed;
                why.file = file;
                why.detail = error.what();
            }
        };
        loadCompanion(companions.autoencoder, companions.autoencoderMissing, info.autoencoder, info.autoencoderMissing,
                      [&](const std::string& file) { baselines.autoencoder = cm::Tokenizer::load(file); });
        loadCompanion(companions.classifier, companions.classifierMissing, info.classifier, info.classifierMissing,
                      [&](const std::string& file) { baselines.classifier = cm::FeatureNet::load(file); });
        loadCompanion(companions.codeGenerator, companions.codeGeneratorMissing, info.codeGenerator,
                      info.codeGeneratorMissing, [&](const std::string& file) {
                          generator = cm::CodeGenerator::load(file);
                          const cm::CodeGeneratorCard& generatorCard = generator->card();
                          for (int c = 0; c < generatorCard.config.classes; ++c)
                              info.generatorClasses << (std::size_t(c) < generatorCard.classNames.size()
                                                            ? QString::fromStdString(generatorCard.classNames[std::size_t(c)])
                                                            : QString());
                      });
        m_tokenizer = std::move(tokenizer);
        m_baselines = std::move(baselines);
        m_generator = std::move(generator);
        m_patchVqTried = false;
        m_patchVqMissing = {};
        m_tokenizerInfo = info;
        emit tokenizerLoaded(job, info);
    } catch (const std::exception& error) {
        // The previous tokenizer stays loaded.
        emit failed(job, JobKind::LoadTokenizer, QString::fromStdString(error.what()));
    }
}

void EngineWorker::compress(int job, const CompressRequest& request, const Cancel& cancel) {
    run(job, JobKind::Compress, cancel, [&] {
        if (!m_tokenizer) throw cm::Error(cm::ErrorKind::InvalidArgument, "no tokenizer is loaded");
        const cm::Tokenizer& tokenizer = *m_tokenizer;
        const cm::TokenizerConfig& config = tokenizer.card().config;
        JobResult result;
        CodeResult& out = result.code;
        cv::Mat original;
        cm::TokenCode code;
        if (!request.image.isNull()) {
            if (request.image.width() != config.imageSize || request.image.height() != config.imageSize)
                throw cm::Error(cm::ErrorKind::Shape, "the image is " + std::to_string(request.image.width()) + " x " +
                                                          std::to_string(request.image.height()) +
                                                          " but the tokenizer encodes " +
                                                          std::to_string(config.imageSize) + " x " +
                                                          std::to_string(config.imageSize));
            original = qImageToMat(request.image, config.channels);
            code = tokenizer.encode({original}).front();
            out.original = matToQImage(original);
        } else {
            code = cm::codeFromHex(request.code.toStdString(), config.codeBits(), "the pasted code");
        }
        out.hex = QString::fromStdString(cm::codeToHex(code));
        out.bits = QVector<quint8>(code.bits.begin(), code.bits.end());
        out.bitsPerToken = config.bitsPerToken;
        out.bitsPerPixel = config.bitsPerPixel();

        // The decoders in the order they are shown; one progress bar over all of them. A decoder's
        // evaluation count is known once it starts (guidance adds evaluations), so what is still to run is
        // counted at one evaluation per step until then.
        struct Pass {
            Reconstruction::Decoder decoder;
            int steps;
        };
        const int steps = std::max(1, request.steps);
        const std::vector<Pass> passes = {
            {tokenizer.card().hasOneStepDecoder() ? Reconstruction::OneStep : Reconstruction::SingleEulerStep, 1},
            {Reconstruction::Flow, steps}};
        long finished = 0;
        for (std::size_t i = 0; i < passes.size(); ++i) {
            long later = 0;
            for (std::size_t j = i + 1; j < passes.size(); ++j) later += passes[j].steps;
            long passTotal = passes[i].steps;
            cm::DecodeParams params;
            params.steps = passes[i].steps;
            params.seed = request.seed;
            QElapsedTimer timer;
            timer.start();
            const std::vector<cv::Mat> images = tokenizer.decode(
                {code}, params,
                [&](long done, long total) {
                    passTotal = total;
                    emit progress(job, finished + done, finished + total + later);
                },
                &cancel);
            Reconstruction reconstruction;
            reconstruction.decoder = passes[i].decoder;
            reconstruction.steps = passes[i].steps;
            reconstruction.seconds = timer.nsecsElapsed() * 1e-9;
            reconstruction.evaluations = int(passTotal);
            reconstruction.image = matToQImage(images.front());
            if (!original.empty()) reconstruction.psnr = cm::psnrFromMse(cm::reconstructionMse(original, images.front()));
            out.reconstructions.push_back(reconstruction);
            finished += passTotal;
        }
        if (!original.empty()) {
            emit progress(job, finished, finished + 1); // the baselines: short, counted as one unit
            if (!m_patchVqTried) {
                m_patchVqTried = true;
                const cm::TokenizerCard& card = tokenizer.card();
                m_patchVqMissing = cm::trainingImagesProblem(card);
                if (m_patchVqMissing.none()) {
                    try {
                        m_baselines.patchVq = cm::PatchVq::train(
                            cm::patchVqForBits(config.codeBits(), config.imageSize, config.channels),
                            cm::tokenizerTrainingImages(card, kPatchVqTrainingImages), 0);
                    } catch (const cm::Error& error) {
                        m_patchVqMissing.kind = cm::CompanionProblem::Failed;
                        m_patchVqMissing.detail = error.what();
                    }
                }
            }
            for (const cm::BaselineReconstruction& b : cm::reconstructWithBaselines(original, m_baselines, &cancel)) {
                BaselineImage image;
                image.kind = BaselineImage::Kind(int(b.kind));
                image.image = matToQImage(b.image);
                image.bits = b.bits;
                image.psnr = b.psnr;
                image.evaluations = b.evaluations;
                image.seconds = b.seconds;
                image.bytes = b.bytes;
                image.quality = b.quality;
                image.recognisable = b.recognisable;
                if (b.kind == cm::BaselineReconstruction::PatchVq) {
                    image.patchSize = m_baselines.patchVq->config().patchSize;
                    image.codebookSize = m_baselines.patchVq->config().codebookSize;
                }
                out.baselines.push_back(image);
            }
            for (const cm::CompanionProblem& missing : {m_tokenizerInfo.autoencoderMissing, m_patchVqMissing,
                                                        m_tokenizerInfo.classifierMissing})
                if (!missing.none()) out.missingBaselines << missing;
            emit progress(job, finished + 1, finished + 1);
        }
        result.images = {out.reconstructions.back().image};
        result.nfe = int(finished);
        result.settings["tokenizer"] = QFileInfo(QString::fromStdString(tokenizer.path())).completeBaseName();
        result.settings["code"] = out.hex;
        result.settings["seed"] = QString::number(request.seed);
        result.settings["steps"] = steps;
        return result;
    });
}

void EngineWorker::generateCodes(int job, const GenerateCodesRequest& request, const Cancel& cancel) {
    run(job, JobKind::GenerateCodes, cancel, [&] {
        if (!m_tokenizer) throw cm::Error(cm::ErrorKind::InvalidArgument, "no tokenizer is loaded");
        if (!m_generator)
            throw cm::Error(cm::ErrorKind::InvalidArgument, "the tokenizer has no code generator");
        cm::DecodeParams params;
        params.steps = std::max(1, request.steps);
        const cm::GeneratedImages generated = cm::generateImages(
            *m_tokenizer, *m_generator, request.classIndex, request.count, request.seed, request.temperature, params,
            [&](long done, long total) { emit progress(job, done, total); }, &cancel);
        JobResult result;
        GeneratedCodes& out = result.generated;
        out.seed = request.seed;
        out.steps = params.steps;
        out.evaluations = generated.evaluations;
        for (std::size_t j = 0; j < generated.images.size(); ++j) {
            out.images << matToQImage(generated.images[j]);
            out.hex << QString::fromStdString(cm::codeToHex(generated.codes[j]));
            out.classes << generated.classes[j];
        }
        result.images = out.images;
        result.nfe = generated.evaluations;
        result.settings["tokenizer"] = m_tokenizerInfo.name;
        result.settings["generator"] = QFileInfo(m_tokenizerInfo.codeGenerator).completeBaseName();
        result.settings["seed"] = QString::number(request.seed);
        result.settings["steps"] = params.steps;
        return result;
    });
}

void EngineWorker::loadStyleModel(int job, const QString& path) {
    try {
        cm::Model model = cm::Model::load(path.toStdString());
        const cm::ModelCard& card = model.card();
        cm::requireStyleModel(card, QFileInfo(path).fileName().toStdString());
        StyleModelInfo info;
        info.path = path;
        info.name = QFileInfo(path).completeBaseName();
        info.consistency = card.kind == cm::ModelKind::Consistency;
        info.imageSize = card.network.imageSize;
        info.defaultSteps = cm::defaultStylizeSteps(card);
        for (const std::string& prompt : cm::garmentPrompts()) info.prompts << QString::fromStdString(prompt);
        info.queries = card.network.imageQueries;
        info.parameters = model.parameterCount();
        info.trainingSteps = card.trainingSteps;
        info.dataset = QString::fromStdString(card.dataset);
        m_styleModel = std::move(model);
        m_styleInfo = info;
        emit styleModelLoaded(job, info);
    } catch (const std::exception& error) {
        // The previous style model stays loaded.
        emit failed(job, JobKind::LoadStyleModel, QString::fromStdString(error.what()));
    }
}

void EngineWorker::stylize(int job, const StyleRequest& request, const Cancel& cancel) {
    run(job, JobKind::Stylize, cancel, [&] {
        if (!m_styleModel) throw cm::Error(cm::ErrorKind::InvalidArgument, "no style model is loaded");
        if (request.reference.isNull()) throw cm::Error(cm::ErrorKind::InvalidArgument, "no reference image");
        cm::StylizeParams params;
        // Grey stays grey here: the core repeats it in the three channels, as for the CLI.
        params.reference = qImageTo8U(request.reference, request.reference.isGrayscale() ? 1 : 3);
        params.referenceOrigin = request.referenceName.isEmpty() ? "the reference" : request.referenceName.toStdString();
        for (const QString& prompt : request.prompts) params.prompts.push_back(prompt.toStdString());
        params.count = request.count;
        params.steps = request.steps;
        params.seed = request.seed;
        params.use = request.useContent ? cm::Conditioning::ReferenceUse::StyleAndContent
                                        : cm::Conditioning::ReferenceUse::StyleOnly;
        // Whole evaluations (the engine's side-model jobs), whatever the network's block count.
        const long units = std::max(1, m_styleModel->progressUnitsPerEvaluation());
        const cm::StylizeResult stylized = cm::stylize(
            *m_styleModel, params, [&](long done, long total) { emit progress(job, done / units, total / units); },
            &cancel);
        JobResult result;
        StyleResult& out = result.style;
        out.reference = matToQImage(stylized.reference);
        for (const std::string& note : stylized.notes) out.notes << QString::fromStdString(note);
        for (const std::string& prompt : stylized.prompts) out.prompts << QString::fromStdString(prompt);
        for (const std::vector<cv::Mat>& row : stylized.images) {
            out.images.push_back(toQImages(row));
            result.images += out.images.back();
        }
        out.seed = request.seed;
        out.steps = stylized.steps;
        out.evaluations = stylized.nfe;
        result.nfe = stylized.nfe;
        result.sigmas = toQVector(stylized.sigmas);
        result.settings["styleModel"] = m_styleInfo.name;
        result.settings["model"] = m_styleInfo.name;
        result.settings["task"] = "stylize";
        result.settings["reference"] = request.referenceName;
        result.settings["use"] = request.useContent ? "both" : "style";
        result.settings["sampler"] = cm::samplerKindName(stylized.sampler);
        result.settings["steps"] = stylized.steps;
        result.settings["nfe"] = stylized.nfe;
        result.settings["sigmas"] = toVariantList(stylized.sigmas);
        return result;
    });
}
