#include "edit_operators.h"

#include "core/error.h"

#include <cmath>

namespace cm::detail {

namespace {

class IdentityOperator : public EditOperator {
  public:
    torch::Tensor forward(const torch::Tensor& x) const override { return x; }
    torch::Tensor transpose(const torch::Tensor& a) const override { return a; }
    // Inpainting multiplies in the user's mask; stroke editing generates everything.
    torch::Tensor generateMask(int64_t, int64_t) const override {
        return torch::ones({1, 1, 1, 1});
    }
};

// Rows: the unit luminance direction, then two unit vectors completing an orthonormal basis.
torch::Tensor colourBasis() {
    const double l[3] = {0.2989, 0.5870, 0.1140};
    const double norm = std::sqrt(l[0] * l[0] + l[1] * l[1] + l[2] * l[2]);
    const double a[3] = {l[0] / norm, l[1] / norm, l[2] / norm};
    // b = normalise(a x e_blue), c = a x b
    double b[3] = {a[1], -a[0], 0.0};
    const double bn = std::sqrt(b[0] * b[0] + b[1] * b[1]);
    for (double& v : b)
        v /= bn;
    const double c[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    return torch::tensor({a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]}, torch::kFloat64)
        .view({3, 3})
        .to(torch::kFloat32);
}

class ColourOperator : public EditOperator {
  public:
    ColourOperator() : m_basis(colourBasis()) {}
    torch::Tensor forward(const torch::Tensor& x) const override {
        requireColour(x);
        return torch::einsum("ij,njhw->nihw", {m_basis, x});
    }
    torch::Tensor transpose(const torch::Tensor& a) const override {
        requireColour(a);
        return torch::einsum("ji,njhw->nihw", {m_basis, a});
    }
    torch::Tensor generateMask(int64_t, int64_t) const override {
        return torch::tensor({0.0f, 1.0f, 1.0f}).view({1, 3, 1, 1});
    }

  private:
    static void requireColour(const torch::Tensor& x) {
        if (x.size(1) != 3)
            throw Error(ErrorKind::InvalidArgument, "colorization needs an RGB model; this one has " +
                                                        std::to_string(x.size(1)) + " channel(s)");
    }
    torch::Tensor m_basis;
};

// The orthonormal 2-D DCT-II basis of a p x p patch: its first row is the constant 1/p.
torch::Tensor patchBasis(int p) {
    auto d = torch::empty({p, p}, torch::kFloat64);
    for (int k = 0; k < p; ++k)
        for (int n = 0; n < p; ++n)
            d[k][n] = (k == 0 ? std::sqrt(1.0 / p) : std::sqrt(2.0 / p)) * std::cos(M_PI * (2 * n + 1) * k / (2.0 * p));
    return torch::kron(d, d).to(torch::kFloat32);
}

class PatchOperator : public EditOperator {
  public:
    explicit PatchOperator(int factor) : m_p(factor), m_basis(patchBasis(factor)) {}
    torch::Tensor forward(const torch::Tensor& x) const override { return apply(x, m_basis); }
    torch::Tensor transpose(const torch::Tensor& a) const override { return apply(a, m_basis.t()); }
    torch::Tensor generateMask(int64_t, int64_t size) const override {
        auto mask = torch::ones({1, 1, size, size});
        using torch::indexing::Slice;
        mask.index_put_({Slice(), Slice(), Slice(0, torch::indexing::None, m_p), Slice(0, torch::indexing::None, m_p)}, 0.0f);
        return mask;
    }

  private:
    // Coefficient k = u p + v of patch (I, J) sits at pixel (I p + u, J p + v).
    torch::Tensor apply(const torch::Tensor& x, const torch::Tensor& matrix) const {
        const auto n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        if (h % m_p || w % m_p)
            throw Error(ErrorKind::InvalidArgument, "the factor " + std::to_string(m_p) +
                                                        " does not divide the image size " + std::to_string(h));
        auto patches = x.reshape({n, c, h / m_p, m_p, w / m_p, m_p}).permute({0, 1, 2, 4, 3, 5});
        patches = patches.reshape({n, c, h / m_p, w / m_p, m_p * m_p});
        auto coefficients = torch::matmul(patches, matrix.t());
        return coefficients.reshape({n, c, h / m_p, w / m_p, m_p, m_p}).permute({0, 1, 2, 4, 3, 5}).reshape({n, c, h, w});
    }
    int m_p;
    torch::Tensor m_basis;
};

} // namespace

std::unique_ptr<EditOperator> makeEditOperator(EditTask task, int factor) {
    switch (task) {
    case EditTask::Inpaint:
    case EditTask::Stroke:
        return std::make_unique<IdentityOperator>();
    case EditTask::Colorize:
        return std::make_unique<ColourOperator>();
    case EditTask::SuperResolution:
        if (factor != 2 && factor != 4 && factor != 8)
            throw Error(ErrorKind::InvalidArgument,
                        "the super-resolution factor is 2, 4 or 8, not " + std::to_string(factor));
        return std::make_unique<PatchOperator>(factor);
    }
    throw Error(ErrorKind::InvalidArgument, "unknown edit task");
}

Projection::Projection(const EditOperator& op, const torch::Tensor& reference, const torch::Tensor& generate)
    : m_op(op), m_generate(generate) {
    m_kept = op.forward(reference) * (1 - generate);
    m_start = op.transpose(m_kept);
}

torch::Tensor Projection::operator()(const torch::Tensor& x) const {
    return m_op.transpose(m_kept + m_op.forward(x) * m_generate);
}

} // namespace cm::detail
