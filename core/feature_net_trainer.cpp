// Training of the evaluator's feature network (declared in feature_net.h).
#include "feature_net.h"

#include "detail/feature_network.h"
#include "error.h"
#include "runtime.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace cm {

FeatureNet trainFeatureNet(const Dataset& train, const Dataset& heldOut, const FeatureNetTrainParams& p,
                           const std::function<void(const FeatureNetTrainStatus&)>& observe,
                           const CancelFlag* cancel) {
    if (train.count() == 0) throw Error(ErrorKind::Data, "the evaluator's training set is empty");
    if (train.itemShape.size() != 3)
        throw Error(ErrorKind::Data, "the evaluator trains on images, not points");
    if (p.kind == FeatureNetKind::Classifier && (!train.hasLabels() || train.classNames.size() < 2))
        throw Error(ErrorKind::Data, "a classifier needs labelled data with at least 2 classes (" +
                                         train.description + " has none)");
    if (p.epochs < 1 || p.batchSize < 1 || !(p.learningRate > 0) || p.dropout < 0 || p.dropout >= 1)
        throw Error(ErrorKind::InvalidArgument,
                    "evaluator training needs epochs >= 1, batch >= 1, a learning rate > 0 and dropout in [0, 1)");
    if (p.threads > 0) setThreadCount(p.threads);

    FeatureNetCard card;
    card.kind = p.kind;
    card.itemShape = train.itemShape;
    card.width = p.width;
    card.featureDim = p.featureDim;
    if (p.kind == FeatureNetKind::Classifier) card.classNames = train.classNames;
    card.dataset = train.description;
    card.trainingJson = nlohmann::json{{"epochs", p.epochs},
                                       {"batch", p.batchSize},
                                       {"lr", p.learningRate},
                                       {"dropout", p.dropout},
                                       {"horizontal_flips", p.horizontalFlips},
                                       {"seed", p.seed},
                                       {"items", train.count()}}
                            .dump();
    FeatureNet net = FeatureNet::create(card, p.seed);
    auto& network = *net.impl().network;
    network.setDropout(p.dropout);
    network.train();

    // Dropout draws from the global generator: seed it so a run is reproducible.
    torch::manual_seed(p.seed);
    at::Generator generator = at::detail::createCPUGenerator(p.seed ^ 0x5DEECE66DULL);
    const auto inputs = detail::featureInput(card, train);
    torch::Tensor labels;
    if (p.kind == FeatureNetKind::Classifier) labels = torch::tensor(train.labels, torch::kInt64);

    torch::optim::Adam optimizer(network.parameters(), torch::optim::AdamOptions(p.learningRate));
    const int64_t count = inputs.size(0);
    const int64_t stepsPerEpoch = (count + p.batchSize - 1) / p.batchSize;
    FeatureNetTrainStatus status;
    status.totalSteps = stepsPerEpoch * p.epochs;
    for (int epoch = 0; epoch < p.epochs; ++epoch) {
        const auto order = at::randperm(count, generator, torch::TensorOptions().dtype(torch::kInt64));
        for (int64_t s = 0; s < stepsPerEpoch; ++s) {
            if (cancel && cancel->load()) throw Error(ErrorKind::Cancelled, "evaluator training cancelled");
            const auto index = order.slice(0, s * p.batchSize, std::min(count, (s + 1) * p.batchSize));
            auto x = inputs.index_select(0, index);
            if (p.horizontalFlips) {
                const auto flip = at::rand({x.size(0)}, generator, torch::kFloat32) < 0.5;
                x = torch::where(flip.view({-1, 1, 1, 1}), x.flip({3}), x);
            }
            const double progress = double(status.step) / double(status.totalSteps);
            const double lr = p.learningRate * 0.5 * (1 + std::cos(M_PI * progress));
            for (auto& group : optimizer.param_groups())
                static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
            const auto features = network.features(x);
            torch::Tensor loss;
            if (p.kind == FeatureNetKind::Classifier)
                loss = torch::nn::functional::cross_entropy(network.logits(features), labels.index_select(0, index));
            else
                loss = (network.decode(features) - x).pow(2).mean();
            status.loss = loss.item<double>();
            if (!std::isfinite(status.loss))
                throw Error(ErrorKind::Numeric,
                            "the evaluator's loss became " + std::to_string(status.loss) + " at step " +
                                std::to_string(status.step));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            ++status.step;
            if (observe) observe(status);
        }
    }
    network.eval();
    if (heldOut.count() > 0) net.card().heldOutScore = featureNetScore(net, heldOut);
    return net;
}

} // namespace cm
