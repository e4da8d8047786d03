#include "style_objective.h"

#include "core/detail/networks.h"
#include "core/style/style_model.h"
#include "core/detail/sampling.h"
#include "core/detail/training_losses.h"
#include "core/schedule.h"

#include <random>

namespace cm::style {

namespace {

torch::Tensor renderTensor(const cv::Mat& rgb8) {
    cv::Mat floats;
    rgb8.convertTo(floats, CV_32F, 1.0 / 127.5, -1.0);
    return detail::imageToTensor(floats);
}

} // namespace

uint64_t stepSeed(uint64_t seed, long step) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (uint64_t(step) + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

StyleBatch drawStyleBatch(const StyleWorld& world, const NetworkConfig& network, const StyleTrainParams& params,
                          int64_t count, uint64_t seed) {
    StyleBatch batch;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<torch::Tensor> targets, references;
    batch.prompts = torch::full({count, network.promptLength}, int64_t(network.promptVocabulary), torch::kInt64);
    batch.styleKeep = torch::ones({count});
    batch.contentKeep = torch::ones({count});
    if (params.stage == StyleStage::Base) {
        for (int64_t j = 0; j < count; ++j) {
            const int64_t item = world.drawItem(rng);
            const StyleSpec style = world.drawStyle(StyleSplit::Train, rng);
            targets.push_back(renderTensor(world.render(item, style, rng())));
            if (unit(rng) >= params.promptDropout) batch.prompts[j][0] = int64_t(world.garmentClass(item));
            const auto words = styleWordsOf(style, world.palettes().at(std::size_t(style.palette)));
            if (network.promptLength > int(words.size()))
                for (std::size_t w = 0; w < words.size(); ++w)
                    if (unit(rng) < params.styleWordRate)
                        batch.prompts[j][int64_t(1 + w)] = int64_t(styleWordToken(words[w]));
        }
        batch.targets = torch::stack(targets);
        return batch;
    }
    if (params.tasks == StyleTasks::Reconstruction) {
        for (int64_t j = 0; j < count; ++j) {
            const int64_t item = world.drawItem(rng);
            const auto render = renderTensor(world.render(item, world.drawStyle(StyleSplit::Train, rng), rng()));
            targets.push_back(render);
            references.push_back(render);
            batch.relations.push_back(PairRelation::Identical);
            batch.prompts[j][0] = int64_t(world.garmentClass(item));
            if (unit(rng) < params.imageDropout) batch.styleKeep[j] = batch.contentKeep[j] = 0.0f;
        }
        batch.targets = torch::stack(targets);
        batch.references = torch::stack(references);
        return batch;
    }
    PairSampler pairs(world, StyleSplit::Train, rng());
    for (int64_t j = 0; j < count; ++j) {
        const StyledPair pair = pairs.next();
        targets.push_back(renderTensor(pair.target));
        references.push_back(renderTensor(pair.reference));
        batch.relations.push_back(pair.relation);
        const bool dropped = unit(rng) < params.imageDropout;
        switch (pair.relation) {
        case PairRelation::SameStyle:
            batch.contentKeep[j] = 0.0f;
            batch.styleKeep[j] = dropped ? 0.0f : 1.0f;
            batch.prompts[j][0] = int64_t(pair.targetClass);
            break;
        case PairRelation::SameContent:
            batch.styleKeep[j] = 0.0f;
            batch.contentKeep[j] = dropped ? 0.0f : 1.0f;
            batch.prompts[j][0] = int64_t(pair.targetClass);
            break;
        case PairRelation::Identical: // reconstruction from both token sets, with the empty prompt
            break;
        }
    }
    batch.targets = torch::stack(targets);
    batch.references = torch::stack(references);
    return batch;
}

detail::NetworkConditioning batchConditioning(const StyleBatch& batch) {
    detail::NetworkConditioning conditioning;
    conditioning.promptTokens = batch.prompts;
    conditioning.references = batch.references;
    conditioning.styleKeep = batch.styleKeep;
    conditioning.contentKeep = batch.contentKeep;
    return conditioning;
}

torch::Tensor styleLoss(detail::PromptUNet& network, const detail::Parameterisation& parameterisation,
                        const StyleBatch& batch, training::BatchDraws& draws, const StyleTrainParams& params,
                        torch::Tensor& position) {
    const auto& x = batch.targets;
    const auto z = draws.normalItems(x.sizes().slice(1));
    const auto logSigma = draws.normal(torch::kFloat64) * params.pStd + params.pMean;
    const auto sigma = torch::exp(logSigma);
    const auto denoised = detail::precondition(network, parameterisation,
                                               x + detail::perSample(sigma.to(torch::kFloat32), x) * z, sigma,
                                               batchConditioning(batch));
    const double sd = parameterisation.noise.sigmaData;
    const auto weight = detail::mapPerSample(sigma, [sd](double s) { return edmLossWeight(s, sd); });
    position = detail::normalCdf((logSigma - params.pMean) / params.pStd);
    return weight.to(torch::kFloat32) * (denoised - x).pow(2).flatten(1).mean(1);
}

} // namespace cm::style
