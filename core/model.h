// A loaded model: network weights plus model card. Copies share the same weights (cheap handle).
// Concurrent sampling from one Model is safe; training mutates it and must not overlap other use.
#pragma once

#include "conditioning.h"
#include "model_card.h"
#include "model_import.h"
#include "safetensors.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace cm {

class Model {
  public:
    // Reads and validates a safetensors model file (see safetensors.h, model_card.h); every tensor the
    // architecture needs must be present with its shape and finite, and none left over.
    // Throws cm::Error (Io, Format, Shape, Numeric) naming the file and the tensor.
    static Model load(const std::string& path);
    // The same for any format the engine opens: a CM Studio safetensors file, a PyTorch `.pt`
    // state_dict or a diffusers folder (see model_import.h; `options` fill what those cannot say).
    static Model load(const std::string& path, const ImportOptions& options);
    // Builds the network an import describes and loads its tensors (`origin` names it in errors).
    static Model fromImported(const ImportedModel& imported, const std::string& origin);
    // A freshly initialised network for `card` (deterministic for a given seed).
    static Model create(const ModelCard& card, uint64_t seed);

    // Writes weights (fp32 or fp16) and card atomically.
    void save(const std::string& path, DType weightType = DType::F32) const;

    const ModelCard& card() const;
    ModelCard& card();
    int64_t parameterCount() const;
    // Progress units per network evaluation: 1, or for a network that reports between its blocks (large
    // networks; see progress.h) its blocks plus one for the output layers.
    int progressUnitsPerEvaluation() const;
    const std::string& path() const; // empty for a model not loaded from a file

    struct Impl;
    Impl& impl() const { return *m_impl; }

  private:
    std::shared_ptr<Impl> m_impl;
};

// One evaluation of the model at noise level `sigma` on each image: f(x, sigma) for a consistency model,
// D(x, sigma) for a denoiser. Images are H x W float [-1, 1]-scale (CV_32FC1/CV_32FC3) of the model's size;
// Throws Error(Shape) for a wrong size or channel count, Error(InvalidArgument) for a bad conditioning.
std::vector<cv::Mat> evaluateModel(const Model& model, const std::vector<cv::Mat>& images, double sigma,
                                   const Conditioning& conditioning = {});

} // namespace cm
