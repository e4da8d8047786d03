// The evaluator's CNN (see core/feature_net.h). Private to core/.
#pragma once

#include "core/feature_net.h"

#include <torch/torch.h>

namespace cm::detail {

// The convolutional trunk of the feature network: [N, C, H, W] -> [N, 4 width, H / 4, W / 4]. DEADiff's
// extractors read this map of the reference (core/detail/qformer.h) with the same tensor names.
torch::nn::Sequential featureEncoder(int channels, int width);

class FeatureNetwork : public torch::nn::Module {
  public:
    explicit FeatureNetwork(const FeatureNetCard& card);
    torch::Tensor features(const torch::Tensor& images); // [N, C, H, W] in [-1, 1] -> [N, featureDim]
    torch::Tensor logits(const torch::Tensor& features); // classifier head
    torch::Tensor decode(const torch::Tensor& features); // autoencoder decoder -> [N, C, H, W]
    void setDropout(double rate);                        // classifier head; 0.3 unless set

  private:
    FeatureNetCard m_card;
    torch::nn::Sequential m_encoder{nullptr}, m_decoder{nullptr};
    torch::nn::Linear m_toFeatures{nullptr}, m_classifier{nullptr}, m_fromFeatures{nullptr};
    torch::nn::Dropout m_dropout{nullptr};
};

// Dataset values or sampler images as one [N, C, H, W] float tensor; throws Error(Shape) naming the
// expected shape. Images are rounded to 8-bit levels first.
torch::Tensor featureInput(const FeatureNetCard& card, const Dataset& data);
torch::Tensor featureInput(const FeatureNetCard& card, const std::vector<cv::Mat>& images);

} // namespace cm::detail

namespace cm {
struct FeatureNet::Impl {
    FeatureNetCard card;
    std::shared_ptr<detail::FeatureNetwork> network;
};
} // namespace cm
