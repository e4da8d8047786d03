#include "checkpoint.h"

#include "core/detail/tensor_io.h"
#include "core/error.h"
#include "core/metadata_fields.h"
#include "core/safetensors.h"
#include "run_description.h"

namespace cm::training {

void saveCheckpoint(const std::string& path, const TrainingState& state, const CheckpointInfo& info) {
    SafetensorsFile file;
    auto addList = [&](const std::string& prefix, const std::vector<torch::Tensor>& list) {
        for (std::size_t i = 0; i < list.size(); ++i)
            file.tensors[prefix + std::to_string(i)] = detail::toRecord(list[i], DType::F32);
    };
    addList("online.", state.online);
    if (state.target) addList("target.", *state.target);
    for (std::size_t i = 0; i < state.ema.size(); ++i)
        addList("ema" + std::to_string(i) + ".", state.ema[i]);
    addList("adam_m.", state.optimizer.firstMoments());
    addList("adam_v.", state.optimizer.secondMoments());
    file.tensors["rng.sampling"] = detail::toRecord(state.sampling.get_state(), DType::U8);
    file.tensors["rng.dropout"] = detail::toRecord(state.dropout.get_state(), DType::U8);
    file.metadata["format"] = "cmstudio-checkpoint";
    file.metadata["mode"] = info.run;
    file.metadata["network"] = info.networkJson;
    file.metadata["step"] = std::to_string(info.step);
    file.metadata["optimizer_step"] = std::to_string(state.optimizer.stepCount());
    file.metadata["seconds"] = formatNumber(info.seconds);
    file.metadata["ema_count"] = std::to_string(state.ema.size());
    file.metadata["params"] = info.runJson;
    writeSafetensors(path, file);
}

CheckpointInfo loadCheckpoint(const std::string& path, TrainingState& state, const CheckpointInfo& expected) {
    const SafetensorsFile file = readSafetensors(path);
    auto meta = [&](const std::string& key) {
        auto it = file.metadata.find(key);
        if (it == file.metadata.end())
            throw Error(ErrorKind::Format, path + ": checkpoint metadata '" + key + "' is missing");
        return it->second;
    };
    if (meta("format") != "cmstudio-checkpoint")
        throw Error(ErrorKind::Format, path + " is not a CM Studio checkpoint");
    if (meta("mode") != expected.run)
        throw Error(ErrorKind::InvalidArgument, path + " was written by a '" +
                                                    describeUntrusted(meta("mode")) + "' run, not '" +
                                                    expected.run + "'");
    // Numbers are parsed strictly: a damaged checkpoint is a format error naming the field.
    const std::string where = path + ": checkpoint metadata";
    const long emaCount = metadata::parseLong(meta("ema_count"), "ema_count", where);
    const long step = metadata::parseLong(meta("step"), "step", where);
    const long optimizerStep = metadata::parseLong(meta("optimizer_step"), "optimizer_step", where);
    const double seconds = metadata::parseDouble(meta("seconds"), "seconds", where);
    if (meta("network") != expected.networkJson)
        throw Error(ErrorKind::InvalidArgument,
                    path + ": the checkpoint's network differs from the requested one");
    if (std::size_t(emaCount) != state.ema.size())
        throw Error(ErrorKind::InvalidArgument, path + ": the checkpoint has " + std::to_string(emaCount) +
                                                    " EMA copies; the run asks for " +
                                                    std::to_string(state.ema.size()));
    auto loadList = [&](const std::string& prefix, std::vector<torch::Tensor>& list) {
        torch::NoGradGuard noGrad;
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto it = file.tensors.find(prefix + std::to_string(i));
            if (it == file.tensors.end())
                throw Error(ErrorKind::Format,
                            path + ": checkpoint tensor '" + prefix + std::to_string(i) + "' is missing");
            auto value = detail::fromRecord(it->second);
            if (value.sizes() != list[i].sizes())
                throw Error(ErrorKind::Shape, path + ": checkpoint tensor '" + prefix + std::to_string(i) +
                                                  "' has shape " + detail::shapeString(value.sizes()) +
                                                  ", expected " + detail::shapeString(list[i].sizes()));
            list[i].copy_(value);
        }
    };
    loadList("online.", state.online);
    if (state.target) loadList("target.", *state.target);
    for (std::size_t i = 0; i < state.ema.size(); ++i)
        loadList("ema" + std::to_string(i) + ".", state.ema[i]);
    loadList("adam_m.", state.optimizer.firstMoments());
    loadList("adam_v.", state.optimizer.secondMoments());
    auto rngState = [&](const std::string& key) {
        auto it = file.tensors.find(key);
        if (it == file.tensors.end() || it->second.dtype != DType::U8)
            throw Error(ErrorKind::Format,
                        path + ": checkpoint tensor '" + key + "' (U8 generator state) is missing");
        return detail::fromRecord(it->second);
    };
    state.sampling.set_state(rngState("rng.sampling"));
    state.dropout.set_state(rngState("rng.dropout"));
    state.optimizer.setStepCount(optimizerStep);
    CheckpointInfo info = expected;
    info.step = step;
    info.seconds = seconds;
    info.runJson = meta("params");
    return info;
}

} // namespace cm::training
