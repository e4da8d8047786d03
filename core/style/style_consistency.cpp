#include "style_consistency.h"

#include "core/detail/denoiser.h"
#include "core/detail/qformer.h"
#include "core/error.h"
#include "core/training/objective.h"
#include "style_consistency_objective.h"

#include <algorithm>

namespace cm {

Model createStyleConsistencyModel(const Model& styleModel) {
    const ModelCard& source = styleModel.card();
    if (!source.network.needsReference())
        throw Error(ErrorKind::InvalidArgument,
                    "the one-step stage distils a style model (train-style --stage extractors), got a " +
                        std::string(networkTypeName(source.network.type)) +
                        (source.network.takesPrompt() ? " base without extractors" : " plain generator"));
    if (source.kind == ModelKind::Consistency)
        throw Error(
            ErrorKind::InvalidArgument,
            "the one-step stage starts from a style model that is an EDM denoiser; this one is already a "
            "consistency model");
    ModelCard card = source;
    card.kind = ModelKind::Consistency; // ECT: the denoiser's scalings give way to the consistency function's
    card.recipe = "deadiff-ect";
    card.recommended = {};
    Model student = Model::create(card, 0);
    torch::NoGradGuard noGrad;
    auto destination = student.impl().network->named_parameters();
    for (const auto& item : styleModel.impl().network->named_parameters())
        destination[item.key()].copy_(item.value());
    return student;
}

namespace style {

std::vector<torch::Tensor> consistencyParameters(detail::PromptUNet& network) {
    std::vector<torch::Tensor> frozen = network.referenceEncoder()->parameters();
    for (bool styleExtractor : {true, false})
        if (styleExtractor ||
            network.config().imageExtractors == 2) // a single encoder counts as the style one
            for (const auto& p : network.extractor(styleExtractor).parameters())
                frozen.push_back(p);
    std::vector<torch::Tensor> list;
    for (const auto& p : network.parameters())
        if (std::none_of(frozen.begin(), frozen.end(), [&](const torch::Tensor& q) { return q.is_same(p); }))
            list.push_back(p);
    return list;
}

TrainParams ectSettings(const StyleTrainParams& params) {
    TrainParams t;
    t.mode = TrainMode::Ect;
    t.totalSteps = params.totalSteps;
    t.batchSize = params.batchSize;
    t.learningRate = params.learningRate;
    t.seed = params.seed;
    t.teacherPath = params.stylePath;
    t.ictPMean = params.pMean; // ECT draws t from the iCT lognormal
    t.ictPStd = params.pStd;
    t.ectQ = params.ectQ;
    t.ectStageSteps = params.ectStageSteps;
    return t;
}

torch::Tensor styleConsistencyLoss(detail::PromptUNet& network, const NoiseConstants& noise,
                                   const StyleBatch& batch, training::BatchDraws& draws,
                                   const StyleTrainParams& params, long step, torch::Tensor& position) {
    const TrainParams settings = ectSettings(params);
    const training::ObjectiveInputs inputs{settings, noise, network, nullptr, nullptr, noise, step};
    auto terms = training::kEctObjective.lossTerms(inputs, batch.targets, batchConditioning(batch), draws);
    position = terms.position;
    return terms.perSample;
}

} // namespace style
} // namespace cm
