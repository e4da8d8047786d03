#include "batch_draws.h"

namespace cm::training {

torch::Tensor BatchDraws::normalItems(at::IntArrayRef itemShape) {
    std::vector<int64_t> shape{m_global};
    shape.insert(shape.end(), itemShape.begin(), itemShape.end());
    return local(at::randn(shape, m_generator, torch::kFloat32));
}

torch::Tensor BatchDraws::uniformItems(at::IntArrayRef itemShape) {
    std::vector<int64_t> shape{m_global};
    shape.insert(shape.end(), itemShape.begin(), itemShape.end());
    return local(at::rand(shape, m_generator, torch::kFloat32));
}

torch::Tensor BatchDraws::normal(torch::ScalarType type) {
    return local(at::randn({m_global}, m_generator, torch::TensorOptions().dtype(type)));
}

torch::Tensor BatchDraws::uniform(torch::ScalarType type) {
    return local(at::rand({m_global}, m_generator, type));
}

torch::Tensor BatchDraws::integers(int64_t low, int64_t high) {
    return local(
        at::randint(low, high, {m_global}, m_generator, torch::TensorOptions().dtype(torch::kInt64)));
}

torch::Tensor BatchDraws::categorical(const torch::Tensor& probabilities) {
    return local(at::multinomial(probabilities, m_global, true, m_generator));
}

} // namespace cm::training
