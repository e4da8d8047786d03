// The orthogonal operators of Algorithm 4 and its projection step. Private to core/.
#pragma once

#include "core/editing.h"

#include <torch/torch.h>

#include <memory>

namespace cm::detail {

// An orthogonal linear map on [N, C, H, W] images whose coefficients keep the image layout.
class EditOperator {
  public:
    virtual ~EditOperator() = default;
    virtual torch::Tensor forward(const torch::Tensor& x) const = 0;   // A x
    virtual torch::Tensor transpose(const torch::Tensor& a) const = 0; // A^T a = A^-1 a
    // 1 where coefficients are generated, 0 where they are kept from the reference; broadcastable.
    virtual torch::Tensor generateMask(int64_t channels, int64_t size) const = 0;
};

std::unique_ptr<EditOperator> makeEditOperator(EditTask task, int factor);

// Algorithm 4's projection: x -> A^T[(A y)(1 - Omega) + (A x) Omega].
class Projection {
  public:
    Projection(const EditOperator& op, const torch::Tensor& reference, const torch::Tensor& generate);
    torch::Tensor operator()(const torch::Tensor& x) const;
    const torch::Tensor& start() const { return m_start; } // A^T[(A y)(1 - Omega)]

  private:
    const EditOperator& m_op;
    torch::Tensor m_kept, m_generate, m_start;
};

} // namespace cm::detail
