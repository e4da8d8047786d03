#include "core/style/stylize.h"

#include "core/error.h"
#include "core/model_card.h"
#include "core/schedule.h"
#include "core/style/style_model.h"
#include "core/style_world.h"

namespace cm {

void requireStyleModel(const ModelCard& card, const std::string& origin) {
    if (card.network.needsReference()) return;
    const std::string what = card.network.takesPrompt()
                                 ? " is a prompt base without style extractors, not a style model (train-style "
                                   "--stage extractors makes one from it)"
                                 : " is not a style model (train-style --stage extractors makes one); it generates "
                                   "without a reference: sample it with cmstudio-cli sample or the Generate view";
    throw Error(ErrorKind::InvalidArgument, origin + what);
}

PreparedEditInput prepareStyleReference(const cv::Mat& image8U, int imageSize, const std::string& origin) {
    if (image8U.empty()) throw Error(ErrorKind::InvalidArgument, origin + " is an empty image");
    NetworkConfig shape; // a style model reads RGB references
    shape.imageSize = imageSize;
    shape.channels = 3;
    // A stroke edit's input is the whole image at the model's size and channels: the same fit.
    return prepareEditInput(EditTask::Stroke, image8U, shape, 0, true, origin);
}

int defaultStylizeSteps(const ModelCard& card) {
    if (card.kind == ModelKind::Consistency) return 1;
    return card.recommended.heunPoints > 0 ? card.recommended.heunPoints : 18;
}

namespace {

// The sampler settings for `steps` on `card`: a consistency model takes one step or `steps` levels (the
// card's recommended ones when it has that many, else the Karras grid without its last level); a
// denoiser takes Heun on `steps` points.
void setSchedule(const ModelCard& card, int steps, SampleParams& params) {
    if (card.kind != ModelKind::Consistency) {
        if (steps < 2) throw Error(ErrorKind::InvalidArgument, "a denoiser needs at least 2 Heun points, got " + std::to_string(steps));
        params.sampler = SamplerKind::Heun;
        params.edmPoints = steps;
        return;
    }
    if (steps == 1) {
        params.sampler = SamplerKind::OneStep;
        return;
    }
    params.sampler = SamplerKind::Multistep;
    const RecommendedSchedule& recommended = card.recommended;
    if (int(recommended.sigmas.size()) == steps) {
        params.sigmas = recommended.sigmas;
    } else if (int(recommended.ts.size()) == steps && recommended.steps > 1) {
        params.ts = recommended.ts;
        params.steps = recommended.steps;
    } else {
        params.sigmas = consistencyPresetLevels(steps, card.noise);
    }
}

} // namespace

StylizeResult stylize(const Model& model, const StylizeParams& params, const ProgressFn& progress,
                      const CancelFlag* cancel) {
    const ModelCard& card = model.card();
    if (params.prompts.empty()) throw Error(ErrorKind::InvalidArgument, "no prompt: give at least one garment");
    if (params.count < 1 || params.count > 64)
        throw Error(ErrorKind::InvalidArgument, "images per prompt must be 1..64, got " + std::to_string(params.count));
    const int steps = params.steps > 0 ? params.steps : defaultStylizeSteps(card);
    if (steps > 1000) throw Error(ErrorKind::InvalidArgument, "at most 1000 steps, got " + std::to_string(steps));

    StylizeResult result;
    std::vector<std::vector<int>> tokens;
    for (const std::string& prompt : params.prompts) {
        tokens.push_back(promptTokens(prompt)); // an unknown word fails here, before any evaluation
        result.prompts.push_back(garmentPrompts()[std::size_t(parseGarmentPrompt(prompt))]);
    }
    requireStyleModel(card, model.path().empty() ? "the model" : model.path());
    const int size = card.network.imageSize;
    if (params.reference.depth() == CV_8U) {
        PreparedEditInput prepared = prepareStyleReference(params.reference, card.network.imageSize, params.referenceOrigin);
        result.reference = prepared.image;
        result.notes = std::move(prepared.notes);
    } else if (params.reference.type() == CV_32FC3 && params.reference.rows == size && params.reference.cols == size) {
        result.reference = params.reference;
    } else {
        throw Error(ErrorKind::Shape, params.referenceOrigin + " must be an 8-bit image or " + std::to_string(size) +
                                          "x" + std::to_string(size) + " RGB floats");
    }

    SampleParams sampling;
    sampling.count = params.count;
    sampling.seed = params.seed;
    setSchedule(card, steps, sampling);
    const long prompts = long(tokens.size());
    for (long p = 0; p < prompts; ++p) {
        sampling.conditioning = Conditioning::ofPrompt(tokens[std::size_t(p)]);
        sampling.conditioning.referenceImages = {result.reference};
        sampling.conditioning.referenceUse = params.use;
        const SampleResult sampled = sample(
            model, sampling,
            [&](long done, long total) {
                if (progress) progress(p * total + done, prompts * total);
            },
            cancel);
        result.images.push_back(sampled.images);
        result.nfe = sampled.nfe;
        result.sigmas = sampled.sigmas;
    }
    result.sampler = sampling.sampler;
    result.steps = steps;
    return result;
}

} // namespace cm
