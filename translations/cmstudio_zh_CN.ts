<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>BatchHistory</name>
    <message>
        <source>The batches of this session: pick one to show it in the gallery</source>
        <translation>本次会话生成的各批图像：选择一批在图库中显示</translation>
    </message>
    <message>
        <source>Show a second batch beside the first, e.g. the same seeds from another model</source>
        <translation>在旁边显示另一批，例如另一个模型用相同种子生成的图像</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批次</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>seeds %1–%2</source>
        <translation>种子 %1–%2</translation>
    </message>
    <message>
        <source>seed %1</source>
        <translation>种子 %1</translation>
    </message>
    <message>
        <source>1 step</source>
        <translation>1 步</translation>
    </message>
    <message>
        <source>%1, %2 NFE</source>
        <translation>%1，%2 次网络求值</translation>
    </message>
    <message numerus="yes">
        <source>#%1 %2 · %3 · %4 · %n image(s)</source>
        <translation>
            <numerusform>#%1 %2 · %3 · %4 · %n 张图像</numerusform>
        </translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
</context>
<context>
    <name>ClassPicker</name>
    <message>
        <source>Random class per image</source>
        <translation>每张图像随机类别</translation>
    </message>
    <message>
        <source>Unconditional</source>
        <translation>无条件</translation>
    </message>
    <message>
        <source>All classes in turn</source>
        <translation>依次使用所有类别</translation>
    </message>
    <message>
        <source>Class %1</source>
        <translation>类别 %1</translation>
    </message>
    <message numerus="yes">
        <source>Type to search %n class(es)</source>
        <translation>
            <numerusform>输入以搜索 %n 个类别</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CompressView</name>
    <message>
        <source>The tokenizer: its code length (bits per image) is the bit rate</source>
        <translation>分词器：其编码长度（每张图像的比特数）即码率</translation>
    </message>
    <message>
        <source>Open…</source>
        <translation>打开…</translation>
    </message>
    <message>
        <source>Open a tokenizer file (.safetensors, trained by cmstudio-cli train-tokenizer)</source>
        <translation>打开分词器文件（.safetensors，由 cmstudio-cli train-tokenizer 训练）</translation>
    </message>
    <message>
        <source>No tokenizer loaded: pick one or open a tokenizer file.</source>
        <translation>未加载分词器：请选择一个或打开分词器文件。</translation>
    </message>
    <message>
        <source>Open image…</source>
        <translation>打开图像…</translation>
    </message>
    <message>
        <source>An image to encode (or drop one here); it is fitted to the tokenizer&apos;s size</source>
        <translation>要编码的图像（也可拖放到此处）；会适配到分词器的尺寸</translation>
    </message>
    <message>
        <source>Use selected sample</source>
        <translation>使用所选样本</translation>
    </message>
    <message>
        <source>The sample selected in the Generate tab&apos;s gallery</source>
        <translation>“生成”标签页图库中所选的样本</translation>
    </message>
    <message>
        <source>Open, drop or pick an image.</source>
        <translation>打开、拖放或选择一张图像。</translation>
    </message>
    <message>
        <source>Euler steps of the flow decoder, shown beside the one-step decoder</source>
        <translation>流解码器的欧拉步数，与一步解码器并排显示</translation>
    </message>
    <message>
        <source>The decoders&apos; starting noise: the same code and seed give the same image</source>
        <translation>解码器的起始噪声：相同的编码和种子得到相同的图像</translation>
    </message>
    <message>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>Image</source>
        <translation>图像</translation>
    </message>
    <message>
        <source>Flow steps</source>
        <translation>流步数</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Compress</source>
        <translation>压缩</translation>
    </message>
    <message>
        <source>Encode the image into its code and decode the code with both decoders</source>
        <translation>将图像编码，并用两个解码器解码该编码</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>the code in hexadecimal</source>
        <translation>十六进制编码</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the hexadecimal code</source>
        <translation>复制十六进制编码</translation>
    </message>
    <message>
        <source>the code&apos;s bits, one group per token</source>
        <translation>编码的比特，每个词元一组</translation>
    </message>
    <message>
        <source>paste a code (hex) to decode it</source>
        <translation>粘贴编码（十六进制）以解码</translation>
    </message>
    <message>
        <source>Decode</source>
        <translation>解码</translation>
    </message>
    <message>
        <source>Decode the pasted code with both decoders</source>
        <translation>用两个解码器解码粘贴的编码</translation>
    </message>
    <message>
        <source>Open tokenizer</source>
        <translation>打开分词器</translation>
    </message>
    <message>
        <source>Tokenizers (*.safetensors);;All files (*)</source>
        <translation>分词器 (*.safetensors);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Open image</source>
        <translation>打开图像</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp);;All files (*)</source>
        <translation>图像 (*.png *.jpg *.jpeg *.webp *.bmp);;所有文件 (*)</translation>
    </message>
    <message>
        <source>one-step decoder (distilled)</source>
        <translation>一步解码器（蒸馏）</translation>
    </message>
    <message>
        <source>no one-step decoder</source>
        <translation>无一步解码器</translation>
    </message>
    <message>
        <source>%1 × %1 %2, %3 tokens × %4 bits = %5 bits (%6 bits per pixel); stages %7; %8</source>
        <translation>%1 × %1 %2，%3 个词元 × %4 比特 = %5 比特（每像素 %6 比特）；阶段 %7；%8</translation>
    </message>
    <message>
        <source>grey</source>
        <translation>灰度</translation>
    </message>
    <message>
        <source>RGB</source>
        <translation>RGB</translation>
    </message>
    <message>
        <source>%1
%2 parameters; data: %3</source>
        <translation>%1
%2 个参数；数据：%3</translation>
    </message>
    <message numerus="yes">
        <source>paste a code of %n hex digit(s) to decode it</source>
        <translation>
            <numerusform>粘贴 %n 位十六进制编码以解码</numerusform>
        </translation>
    </message>
    <message>
        <source>Select a sample in the Generate tab&apos;s gallery first</source>
        <translation>请先在“生成”标签页的图库中选择一个样本</translation>
    </message>
    <message>
        <source>%1 × %2, encoded as its centre square at %3 × %3</source>
        <translation>%1 × %2，以其中心正方形按 %3 × %3 编码</translation>
    </message>
    <message>
        <source>%1 × %2</source>
        <translation>%1 × %2</translation>
    </message>
    <message>
        <source>Original</source>
        <translation>原图</translation>
    </message>
    <message>
        <source>not encoded yet</source>
        <translation>尚未编码</translation>
    </message>
    <message>
        <source>load a tokenizer to encode it</source>
        <translation>加载分词器后即可编码</translation>
    </message>
    <message>
        <source>Load a tokenizer first</source>
        <translation>请先加载分词器</translation>
    </message>
    <message>
        <source>Open, drop or pick an image to compress first</source>
        <translation>请先打开、拖放或选择要压缩的图像</translation>
    </message>
    <message>
        <source>the pasted code</source>
        <translation>粘贴的编码</translation>
    </message>
    <message numerus="yes">
        <source>%n bit(s) in %1 hex digits; %2 bits per pixel</source>
        <translation>
            <numerusform>%n 比特，共 %1 位十六进制；每像素 %2 比特</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 × %1 px encoded in %2 bits</source>
        <translation>%1 × %1 像素编码为 %2 比特</translation>
    </message>
    <message>
        <source>1 step: distilled decoder</source>
        <translation>1 步：蒸馏解码器</translation>
    </message>
    <message>
        <source>1 Euler step (this tokenizer has no distilled decoder)</source>
        <translation>1 个欧拉步（此分词器没有蒸馏解码器）</translation>
    </message>
    <message numerus="yes">
        <source>%n step(s): flow decoder</source>
        <translation>
            <numerusform>%n 步：流解码器</numerusform>
        </translation>
    </message>
    <message>
        <source>no original to compare with</source>
        <translation>没有可比较的原图</translation>
    </message>
    <message>
        <source>PSNR %1 dB</source>
        <translation>PSNR %1 dB</translation>
    </message>
    <message numerus="yes">
        <source>%1
%n evaluation(s)
%2 ms</source>
        <translation>
            <numerusform>%1
%n 次网络评估
%2 毫秒</numerusform>
        </translation>
    </message>
    <message>
        <source>(no tokenizer yet: Open…)</source>
        <translation>（尚无分词器：打开…）</translation>
    </message>
    <message>
        <source>The original and its reconstructions appear here: compress an image, or decode a pasted code.</source>
        <translation>原图及其重建结果显示在这里：压缩一张图像，或解码粘贴的编码。</translation>
    </message>
    <message>
        <source>Generate codes (stage 2)</source>
        <translation>生成编码（第 2 阶段）</translation>
    </message>
    <message>
        <source>The class the code generator draws codes of</source>
        <translation>编码生成器为其抽取编码的类别</translation>
    </message>
    <message>
        <source>How many new codes to draw and decode</source>
        <translation>抽取并解码多少个新编码</translation>
    </message>
    <message>
        <source>Code j is drawn from seed + j and decoded from that seed&apos;s noise: the same seed gives the same images</source>
        <translation>第 j 个编码由种子 + j 抽取，并从该种子的噪声解码：相同的种子得到相同的图像</translation>
    </message>
    <message>
        <source>Generate codes</source>
        <translation>生成编码</translation>
    </message>
    <message>
        <source>Draw new codes from the code generator and decode them with the flow decoder</source>
        <translation>从编码生成器抽取新编码，并用流解码器解码</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <source>class %1</source>
        <translation>类别 %1</translation>
    </message>
    <message>
        <source>No code generator for this tokenizer: %1</source>
        <translation>此分词器没有编码生成器：%1</translation>
    </message>
    <message>
        <source>Code generator: %1</source>
        <translation>编码生成器：%1</translation>
    </message>
    <message numerus="yes">
        <source>%1: %n bit(s) per image</source>
        <translation>
            <numerusform>%1：每张图像 %n 比特</numerusform>
        </translation>
    </message>
    <message>
        <source>Baselines: the same bits, and JPEG and WebP at their smallest recognisable file</source>
        <translation>基线：相同比特数，以及 JPEG 和 WebP 仍可辨认的最小文件</translation>
    </message>
    <message>
        <source>Baselines not shown: %1</source>
        <translation>未显示的基线：%1</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 毫秒</translation>
    </message>
    <message>
        <source>%1
%2 bits
%3</source>
        <translation>%1
%2 比特
%3</translation>
    </message>
    <message numerus="yes">
        <source>New codes from %1, each decoded with %n flow step(s)</source>
        <translation>
            <numerusform>来自 %1 的新编码，每个用 %n 个流步骤解码</numerusform>
        </translation>
    </message>
    <message>
        <source>%1, seed %2</source>
        <translation>%1，种子 %2</translation>
    </message>
    <message numerus="yes">
        <source>%1
%n evaluation(s)</source>
        <translation>
            <numerusform>%1
%n 次网络评估</numerusform>
        </translation>
    </message>
    <message>
        <source>All classes</source>
        <translation>所有类别</translation>
    </message>
    <message>
        <source>Image j is of class j mod %1</source>
        <translation>第 j 张图像属于类别 j mod %1</translation>
    </message>
    <message numerus="yes">
        <source>%1
%2 bits
%n evaluation(s)
%3</source>
        <translation>
            <numerusform>%1
%2 比特
%n 次网络评估
%3</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1
%2 bits
%n byte(s)
%3</source>
        <translation>
            <numerusform>%1
%2 比特
%n 字节
%3</numerusform>
        </translation>
    </message>
    <message>
        <source>Deterministic autoencoder</source>
        <translation>确定性自编码器</translation>
    </message>
    <message>
        <source>k-means: %1 × %1 patches, K = %2</source>
        <translation>k-means：%1 × %1 图块，K = %2</translation>
    </message>
    <message>
        <source>JPEG, quality %1</source>
        <translation>JPEG，质量 %1</translation>
    </message>
    <message>
        <source>JPEG, quality %1: not recognisable</source>
        <translation>JPEG，质量 %1：不可辨认</translation>
    </message>
    <message>
        <source>WebP, quality %1</source>
        <translation>WebP，质量 %1</translation>
    </message>
    <message>
        <source>WebP, quality %1: not recognisable</source>
        <translation>WebP，质量 %1：不可辨认</translation>
    </message>
    <message>
        <source>Open autoencoder…</source>
        <translation>打开自编码器…</translation>
    </message>
    <message>
        <source>Compare with this deterministic autoencoder (train-tokenizer --stage autoencoder) instead of the one beside the tokenizer; it must have the tokenizer&apos;s image size, channels and bits</source>
        <translation>与此确定性自编码器（train-tokenizer --stage autoencoder）比较，而不是分词器旁边的那个；它的图像尺寸、通道数和比特数必须与分词器相同</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Forget the chosen autoencoder: use the one beside the tokenizer</source>
        <translation>忘记所选的自编码器：使用分词器旁边的那个</translation>
    </message>
    <message>
        <source>Baseline</source>
        <translation>基线</translation>
    </message>
    <message>
        <source>Open code generator…</source>
        <translation>打开编码生成器…</translation>
    </message>
    <message>
        <source>Use this code generator (train-code-generator) instead of the one beside the tokenizer; its card must name this tokenizer</source>
        <translation>使用此编码生成器（train-code-generator），而不是分词器旁边的那个；它的模型卡必须注明此分词器</translation>
    </message>
    <message>
        <source>Forget the chosen code generator: use the one beside the tokenizer</source>
        <translation>忘记所选的编码生成器：使用分词器旁边的那个</translation>
    </message>
    <message>
        <source>Open autoencoder</source>
        <translation>打开自编码器</translation>
    </message>
    <message>
        <source>Open code generator</source>
        <translation>打开编码生成器</translation>
    </message>
    <message>
        <source>Models (*.safetensors);;All files (*)</source>
        <translation>模型 (*.safetensors);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Wait for the running work to finish</source>
        <translation>请等待正在进行的工作完成</translation>
    </message>
    <message>
        <source>Not used as the autoencoder baseline: %1</source>
        <translation>未用作自编码器基线：%1</translation>
    </message>
    <message>
        <source>Not used as the code generator: %1</source>
        <translation>未用作编码生成器：%1</translation>
    </message>
    <message>
        <source>the tokenizer is itself the deterministic autoencoder</source>
        <translation>该分词器本身就是确定性自编码器</translation>
    </message>
    <message>
        <source>no deterministic autoencoder of %1 bits at %2 px beside %3</source>
        <translation>%3 旁边没有 %1 比特、%2 像素的确定性自编码器</translation>
    </message>
    <message>
        <source>no code generator of %1 beside it (train-code-generator -m %1)</source>
        <translation>%1 旁边没有它的编码生成器（train-code-generator -m %1）</translation>
    </message>
    <message>
        <source>no bundled classifier of %1 × %1 %2 images to judge which files stay recognisable</source>
        <translation>没有 %1 × %1 %2图像的内置分类器来判断哪些文件仍可辨认</translation>
    </message>
    <message>
        <source>%1 cannot be read: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>%1 is not a tokenizer file</source>
        <translation>%1 不是分词器文件</translation>
    </message>
    <message>
        <source>%1 is a “%2” file, not a tokenizer</source>
        <translation>%1 是“%2”文件，不是分词器</translation>
    </message>
    <message>
        <source>%1 is a flow tokenizer, not a deterministic autoencoder</source>
        <translation>%1 是流分词器，不是确定性自编码器</translation>
    </message>
    <message>
        <source>%1 encodes %2 × %2 %3 images in %4 bits, this tokenizer %5 × %5 %6 images in %7 bits</source>
        <translation>%1 以 %4 比特编码 %2 × %2 %3图像，而此分词器以 %7 比特编码 %5 × %5 %6图像</translation>
    </message>
    <message>
        <source>%1 is not a code generator file</source>
        <translation>%1 不是编码生成器文件</translation>
    </message>
    <message>
        <source>%1 is a “%2” file, not a code generator</source>
        <translation>%1 是“%2”文件，不是编码生成器</translation>
    </message>
    <message>
        <source>%1 generates the codes of %2, not of %3</source>
        <translation>%1 生成的是 %2 的编码，而不是 %3 的</translation>
    </message>
    <message>
        <source>%1 generates codes of %2 bits, this tokenizer&apos;s have %3</source>
        <translation>%1 生成 %2 比特的编码，而此分词器的编码为 %3 比特</translation>
    </message>
    <message>
        <source>k-means of patches: the tokenizer&apos;s training images (%1) are not on this machine</source>
        <translation>图块 k-means：分词器的训练图像（%1）不在本机上</translation>
    </message>
    <message>
        <source>k-means of patches: the tokenizer&apos;s card names its training data as “%1”, which is neither Fashion-MNIST nor an image folder</source>
        <translation>图块 k-means：分词器的模型卡将其训练数据记为“%1”，既不是 Fashion-MNIST 也不是图像文件夹</translation>
    </message>
    <message>
        <source>%1 could not be loaded: %2</source>
        <translation>无法加载 %1：%2</translation>
    </message>
    <message>
        <source>No autoencoder baseline: %1</source>
        <translation>没有自编码器基线：%1</translation>
    </message>
    <message>
        <source>Autoencoder baseline: %1 (chosen)</source>
        <translation>自编码器基线：%1（已选择）</translation>
    </message>
    <message>
        <source>Autoencoder baseline: %1 (beside the tokenizer)</source>
        <translation>自编码器基线：%1（位于分词器旁边）</translation>
    </message>
    <message>
        <source>Code generator: %1 (chosen)</source>
        <translation>编码生成器：%1（已选择）</translation>
    </message>
</context>
<context>
    <name>CurvePlot</name>
    <message>
        <source>Loss by noise quartile (q0 to q3)</source>
        <translation>按噪声四分位划分的损失（q0 至 q3）</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>Gradient norm</source>
        <translation>梯度范数</translation>
    </message>
    <message>
        <source>Parameter norm</source>
        <translation>参数范数</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Discretisation steps N</source>
        <translation>离散化步数 N</translation>
    </message>
    <message>
        <source>Target EMA rate mu</source>
        <translation>目标 EMA 衰减率 mu</translation>
    </message>
    <message>
        <source>Training samples seen</source>
        <translation>已见训练样本数</translation>
    </message>
    <message>
        <source>Wall time (s)</source>
        <translation>墙钟时间（秒）</translation>
    </message>
    <message>
        <source>Log2 loss scale</source>
        <translation>损失缩放（log2）</translation>
    </message>
    <message>
        <source>Loss, noise-level quartile %1</source>
        <translation>损失，噪声水平四分位 %1</translation>
    </message>
    <message>
        <source>q0 (lowest noise)</source>
        <translation>q0（噪声最低）</translation>
    </message>
    <message>
        <source>q1</source>
        <translation>q1</translation>
    </message>
    <message>
        <source>q2</source>
        <translation>q2</translation>
    </message>
    <message>
        <source>q3 (highest noise)</source>
        <translation>q3（噪声最高）</translation>
    </message>
    <message>
        <source>step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>wall time (h:mm:ss)</source>
        <translation>墙钟时间（h:mm:ss）</translation>
    </message>
    <message>
        <source> (log scale)</source>
        <translation>（对数刻度）</translation>
    </message>
    <message>
        <source>Open a training log to see its curves</source>
        <translation>打开训练日志以查看其曲线</translation>
    </message>
    <message>
        <source>No %1 against wall time in these logs (yet)</source>
        <translation>这些日志中（尚）没有随墙钟时间变化的%1</translation>
    </message>
    <message>
        <source>No %1 values in these logs (yet)</source>
        <translation>这些日志中（尚）没有%1的值</translation>
    </message>
    <message>
        <source>time %1, step %2</source>
        <translation>时间 %1，第 %2 步</translation>
    </message>
    <message>
        <source>step %1</source>
        <translation>第 %1 步</translation>
    </message>
    <message>
        <source>loss %1</source>
        <translation>损失 %1</translation>
    </message>
    <message>
        <source>%1: %2 (smoothed %3)</source>
        <translation>%1：%2（平滑后 %3）</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>no file name was given for the export</source>
        <translation>未给出导出的文件名</translation>
    </message>
    <message>
        <source>cannot write %1: the folder %2 does not exist</source>
        <translation>无法写入 %1：文件夹 %2 不存在</translation>
    </message>
    <message>
        <source>cannot write in %1: %2</source>
        <translation>无法在 %1 中写入：%2</translation>
    </message>
    <message>
        <source>Training curves</source>
        <translation>训练曲线</translation>
    </message>
    <message>
        <source>cannot write %1: rendering the %2 failed</source>
        <translation>无法写入 %1：渲染 %2 失败</translation>
    </message>
    <message>
        <source>PDF</source>
        <translation>PDF</translation>
    </message>
    <message>
        <source>PNG</source>
        <translation>PNG</translation>
    </message>
    <message>
        <source>cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
</context>
<context>
    <name>EditView</name>
    <message>
        <source>Live preview (before | after): click “Apply preview” to keep it</source>
        <translation>实时预览（处理前 | 处理后）：点击“应用预览”以保留结果</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <source>Brush diameter in image pixels ([ and ])</source>
        <translation>画笔直径，以图像像素计（[ 和 ] 键调节）</translation>
    </message>
    <message>
        <source>100: a hard edge; lower values fade the brush towards its rim</source>
        <translation>100：硬边缘；数值越低，画笔边缘越柔和</translation>
    </message>
    <message>
        <source>Colour…</source>
        <translation>颜色…</translation>
    </message>
    <message>
        <source>The colour of the colour brush (stroke-guided editing)</source>
        <translation>颜色画笔的颜色（用于笔触引导编辑）</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Hardness</source>
        <translation>硬度</translation>
    </message>
    <message>
        <source>Stroke colour</source>
        <translation>笔触颜色</translation>
    </message>
    <message>
        <source>Invert mask</source>
        <translation>反转蒙版</translation>
    </message>
    <message>
        <source>Clear mask</source>
        <translation>清除蒙版</translation>
    </message>
    <message>
        <source>Show mask</source>
        <translation>显示蒙版</translation>
    </message>
    <message>
        <source>Operation</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Super-resolution factor; it must divide the model&apos;s image size</source>
        <translation>超分辨率倍数；必须能整除模型的图像尺寸</translation>
    </message>
    <message>
        <source>Add noise</source>
        <translation>添加噪声</translation>
    </message>
    <message>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>Decreasing noise levels, comma-separated; empty: the task&apos;s default schedule</source>
        <translation>递减的噪声水平，以逗号分隔；留空则使用该任务的默认调度</translation>
    </message>
    <message>
        <source>The same seed gives the same result</source>
        <translation>相同的种子得到相同的结果</translation>
    </message>
    <message>
        <source>Live inpainting</source>
        <translation>实时修复</translation>
    </message>
    <message>
        <source>With a consistency model, the fill updates while you paint the mask</source>
        <translation>使用一致性模型时，绘制蒙版的同时填充内容会实时更新</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>Run the operation on the image (Ctrl+E)</source>
        <translation>对图像执行该操作（Ctrl+E）</translation>
    </message>
    <message>
        <source>Ctrl+E</source>
        <translation>Ctrl+E</translation>
    </message>
    <message>
        <source>Apply preview</source>
        <translation>应用预览</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Factor</source>
        <translation>倍数</translation>
    </message>
    <message>
        <source>Schedule σ</source>
        <translation>调度 σ</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Fit image to model</source>
        <translation>使图像适配模型</translation>
    </message>
    <message>
        <source>Centre-crop to a square and resize to the model&apos;s size (undoable)</source>
        <translation>居中裁剪为正方形并缩放到模型的尺寸（可撤销）</translation>
    </message>
    <message>
        <source>x %1, y %2: %3</source>
        <translation>x %1，y %2：%3</translation>
    </message>
    <message>
        <source>x %1, y %2: R %3 G %4 B %5</source>
        <translation>x %1，y %2：R %3 G %4 B %5</translation>
    </message>
    <message>
        <source>Inpaint</source>
        <translation>修复</translation>
    </message>
    <message>
        <source>Colorize</source>
        <translation>上色</translation>
    </message>
    <message>
        <source>Super-resolve</source>
        <translation>超分辨率</translation>
    </message>
    <message>
        <source>Stroke-guided edit</source>
        <translation>笔触引导编辑</translation>
    </message>
    <message>
        <source>Denoise</source>
        <translation>去噪</translation>
    </message>
    <message>
        <source>Open, paste or drop an image, or send one from the gallery.</source>
        <translation>打开、粘贴或拖入一张图像，或从图库发送一张图像。</translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation>请先加载模型。</translation>
    </message>
    <message>
        <source>Zero-shot editing needs a consistency model; %1 is a denoiser.</source>
        <translation>零样本编辑需要一致性模型；%1 是去噪器。</translation>
    </message>
    <message>
        <source>Open an image first.</source>
        <translation>请先打开图像。</translation>
    </message>
    <message>
        <source>The image is %1 × %2 but the model works on %3 × %3: use “Fit image to model”.</source>
        <translation>图像为 %1 × %2，但模型处理的是 %3 × %3：请使用“使图像适配模型”。</translation>
    </message>
    <message>
        <source>Paint the region to fill with the mask brush first.</source>
        <translation>请先用蒙版画笔涂出要填充的区域。</translation>
    </message>
    <message>
        <source>Schedule σ: “%1” is not a number</source>
        <translation>调度 σ：“%1”不是数字</translation>
    </message>
    <message>
        <source>Load a model and an image first.</source>
        <translation>请先加载模型和图像。</translation>
    </message>
    <message>
        <source>Live inpaint</source>
        <translation>实时修复</translation>
    </message>
    <message>
        <source>Fit to model</source>
        <translation>适配模型</translation>
    </message>
    <message>
        <source>the image</source>
        <translation>该图像</translation>
    </message>
    <message>
        <source>%1 px</source>
        <translation>%1 像素</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1%</translation>
    </message>
    <message>
        <source>Denoise: the noise level of the image, in the model&apos;s [-1, 1] scale. “Add noise” adds noise of this level first, to try it on a clean image.</source>
        <translation>去噪：图像的噪声水平（以模型的 [-1, 1] 尺度计）。“添加噪声”会先加上该水平的噪声，以便在干净的图像上试用。</translation>
    </message>
    <message>
        <source>Add Gaussian noise of this σ to the image, to try denoising on it (undoable)</source>
        <translation>向图像添加该 σ 的高斯噪声，以便试用去噪（可撤销）</translation>
    </message>
    <message>
        <source>Noise σ</source>
        <translation>噪声 σ</translation>
    </message>
    <message>
        <source>Save result…</source>
        <translation>保存结果…</translation>
    </message>
    <message>
        <source>Copy result</source>
        <translation>复制结果</translation>
    </message>
    <message>
        <source>This image has colours: colorizing keeps only its grey levels and replaces them.</source>
        <translation>此图像是彩色的：上色只保留其灰度，并替换原有颜色。</translation>
    </message>
    <message>
        <source>What the model will see after “Fit image to model”: the centre square at %1 × %1</source>
        <translation>执行“使图像适应模型”后模型看到的内容：中心正方形，%1 × %1</translation>
    </message>
</context>
<context>
    <name>GenerateView</name>
    <message>
        <source>How many images one click generates</source>
        <translation>单击一次生成的图像数量</translation>
    </message>
    <message>
        <source>Image j of a batch uses seed + j: the same seed gives the same images</source>
        <translation>一批中的第 j 张图像使用种子 + j：相同的种子得到相同的图像</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>锁定</translation>
    </message>
    <message>
        <source>Keep this seed; unlocked, every Generate draws a new one</source>
        <translation>保持此种子；未锁定时，每次生成都会抽取新种子</translation>
    </message>
    <message>
        <source>Randomise</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>Draw a new random seed</source>
        <translation>抽取一个新的随机种子</translation>
    </message>
    <message>
        <source>The class to generate, for class-conditional models</source>
        <translation>要生成的类别（适用于类别条件模型）</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Sampler</source>
        <translation>采样器</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Generate a batch (Ctrl+Return)</source>
        <translation>生成一批图像（Ctrl+Return）</translation>
    </message>
    <message>
        <source>Double-click a sample to see its multistep chain.</source>
        <translation>双击一个样本以查看其多步采样链。</translation>
    </message>
    <message>
        <source>The clean-image estimate after each step of the chosen schedule</source>
        <translation>所选调度每一步之后的干净图像估计</translation>
    </message>
    <message>
        <source>The same seed sampled with more steps</source>
        <translation>用更多步数对同一种子进行采样</translation>
    </message>
    <message>
        <source>Refine selected</source>
        <translation>细化所选样本</translation>
    </message>
    <message>
        <source>Show the chain of the selected sample</source>
        <translation>显示所选样本的采样链</translation>
    </message>
    <message>
        <source>No model is loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>Seed %1: computing the chain…</source>
        <translation>种子 %1：正在计算采样链…</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) in %1 s; network evaluations per image: %2</source>
        <translation>
            <numerusform>%n 张图像，用时 %1 秒，每张 %2 次网络评估</numerusform>
        </translation>
    </message>
    <message>
        <source>step %1
σ=%2</source>
        <translation>第 %1 步
σ=%2</translation>
    </message>
    <message numerus="yes">
        <source>%n step(s)</source>
        <translation>
            <numerusform>%n 步</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Heun, %n NFE</source>
        <translation>
            <numerusform>Heun，%n 次评估</numerusform>
        </translation>
    </message>
    <message>
        <source>Seed %1. Top: the estimate after each step. Bottom: 1–4 steps. Click one to compare it with one step.</source>
        <translation>种子 %1。上排：每一步之后的估计。下排：1–4 步采样。点击其中一张与单步结果对比。</translation>
    </message>
    <message>
        <source>Seed %1. Top: the Heun trajectory&apos;s clean estimates. Bottom: more evaluations. Click one to compare.</source>
        <translation>种子 %1。上排：Heun 轨迹上的干净图像估计。下排：更多次评估。点击其中一张进行对比。</translation>
    </message>
    <message>
        <source>The batch compared with the one on the left</source>
        <translation>与左侧批次对比的批次</translation>
    </message>
    <message>
        <source>This sample was made by %1; load that model to refine it (%2 is loaded).</source>
        <translation>此样本由 %1 生成；请加载该模型后再细化（当前加载的是 %2）。</translation>
    </message>
</context>
<context>
    <name>ImageInspector</name>
    <message>
        <source>Zoom out (-)</source>
        <translation>缩小（-）</translation>
    </message>
    <message>
        <source>Zoom in (+ or mouse wheel)</source>
        <translation>放大（+ 或鼠标滚轮）</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适应</translation>
    </message>
    <message>
        <source>Fit the image to the view (0)</source>
        <translation>使图像适应视图（0）</translation>
    </message>
    <message>
        <source>Screen pixels per image pixel</source>
        <translation>每个图像像素对应的屏幕像素数</translation>
    </message>
    <message>
        <source>Fit %1x</source>
        <translation>适应 %1x</translation>
    </message>
    <message>
        <source>Move the divider: before is shown on the left, after on the right</source>
        <translation>移动分隔线：左侧显示处理前，右侧显示处理后</translation>
    </message>
    <message>
        <source>Before</source>
        <translation>处理前</translation>
    </message>
    <message>
        <source>After</source>
        <translation>处理后</translation>
    </message>
    <message>
        <source>The pixel under the pointer: 8-bit value and the model&apos;s scale v / 127.5 - 1</source>
        <translation>指针下的像素：8 位数值及模型取值 v / 127.5 - 1</translation>
    </message>
    <message>
        <source>%1x</source>
        <translation>%1x</translation>
    </message>
    <message>
        <source>%1 (model %2)</source>
        <translation>%1（模型 %2）</translation>
    </message>
    <message>
        <source>RGB %1, %2, %3 (model %4, %5, %6)</source>
        <translation>RGB %1, %2, %3（模型 %4, %5, %6）</translation>
    </message>
    <message>
        <source>x %1, y %2</source>
        <translation>x %1，y %2</translation>
    </message>
    <message>
        <source>%1: %2; %3</source>
        <translation>%1：%2；%3</translation>
    </message>
    <message>
        <source>before %1</source>
        <translation>处理前 %1</translation>
    </message>
    <message>
        <source>after %1</source>
        <translation>处理后 %1</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>No image</source>
        <translation>无图像</translation>
    </message>
    <message>
        <source>Point at the image to read pixel values</source>
        <translation>将指针移到图像上以读取像素值</translation>
    </message>
    <message>
        <source>No image to inspect</source>
        <translation>没有可查看的图像</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>Import %1</source>
        <translation>导入 %1</translation>
    </message>
    <message>
        <source>From the file name or its config</source>
        <translation>取自文件名或其配置</translation>
    </message>
    <message>
        <source>Consistency model (CD, CT)</source>
        <translation>一致性模型（CD、CT）</translation>
    </message>
    <message>
        <source>EDM denoiser (a teacher)</source>
        <translation>EDM 去噪器（教师模型）</translation>
    </message>
    <message>
        <source>from the file name or its config</source>
        <translation>取自文件名或其配置</translation>
    </message>
    <message>
        <source> px</source>
        <translation> 像素</translation>
    </message>
    <message>
        <source>the published 64</source>
        <translation>发布版的 64</translation>
    </message>
    <message>
        <source>e.g. 0,22,39 (empty: the preset&apos;s)</source>
        <translation>例如 0,22,39（留空：使用预设值）</translation>
    </message>
    <message>
        <source>the preset&apos;s</source>
        <translation>预设值</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Image size</source>
        <translation>图像尺寸</translation>
    </message>
    <message>
        <source>Channels per attention head</source>
        <translation>每个注意力头的通道数</translation>
    </message>
    <message>
        <source>Recommended ts</source>
        <translation>推荐的 ts</translation>
    </message>
    <message>
        <source>on a grid of steps</source>
        <translation>所在网格的步数</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查</translation>
    </message>
    <message>
        <source>ts are whole numbers &gt;= 0 separated by commas, not &quot;%1&quot;</source>
        <translation>ts 应为以逗号分隔的大于等于 0 的整数，而不是“%1”</translation>
    </message>
    <message>
        <source>ts need a grid of more steps than the largest index (%1)</source>
        <translation>ts 需要一个步数大于最大索引（%1）的网格</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>正在读取 %1…</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>This file does not open with these settings: %1</source>
        <translation>使用这些设置无法打开此文件：%1</translation>
    </message>
    <message>
        <source>Read from the file:</source>
        <translation>从文件中读取：</translation>
    </message>
    <message>
        <source>Assumed (set it below if it is wrong):</source>
        <translation>假定值（如有误请在下方设置）：</translation>
    </message>
</context>
<context>
    <name>InterpolationView</name>
    <message>
        <source>The one-step sample of this seed is an end of the morph</source>
        <translation>此种子的单步采样结果是渐变的一端</translation>
    </message>
    <message>
        <source>Frames including both ends</source>
        <translation>帧数（包括两端）</translation>
    </message>
    <message>
        <source>Frames per second of the exported video</source>
        <translation>导出视频的每秒帧数</translation>
    </message>
    <message>
        <source>Use two selected samples</source>
        <translation>使用两个所选样本</translation>
    </message>
    <message>
        <source>Interpolate</source>
        <translation>插值</translation>
    </message>
    <message>
        <source>Export strip (PNG)…</source>
        <translation>导出帧条（PNG）…</translation>
    </message>
    <message>
        <source>Export video…</source>
        <translation>导出视频…</translation>
    </message>
    <message>
        <source>Seed A</source>
        <translation>种子 A</translation>
    </message>
    <message>
        <source>Seed B</source>
        <translation>种子 B</translation>
    </message>
    <message>
        <source>Frames</source>
        <translation>帧数</translation>
    </message>
    <message>
        <source>Video FPS</source>
        <translation>视频帧率</translation>
    </message>
    <message>
        <source>Morph from seed A to seed B</source>
        <translation>从种子 A 渐变到种子 B</translation>
    </message>
    <message>
        <source>A</source>
        <translation>A</translation>
    </message>
    <message>
        <source>B</source>
        <translation>B</translation>
    </message>
    <message>
        <source>Select exactly two samples in the Generate gallery (Ctrl+click)</source>
        <translation>请在“生成”图库中恰好选择两个样本（Ctrl+单击）</translation>
    </message>
    <message>
        <source>Export strip</source>
        <translation>导出帧条</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Export video</source>
        <translation>导出视频</translation>
    </message>
    <message>
        <source>AVI video, Motion JPEG (*.avi)</source>
        <translation>AVI 视频，Motion JPEG (*.avi)</translation>
    </message>
    <message>
        <source>Load a consistency model first</source>
        <translation>请先加载一致性模型</translation>
    </message>
    <message>
        <source>frame %1 of %2</source>
        <translation>第 %1 帧，共 %2 帧</translation>
    </message>
    <message>
        <source>Interpolate first: there are no frames to export</source>
        <translation>请先插值：没有可导出的帧</translation>
    </message>
    <message>
        <source>%1: cannot write a video there</source>
        <translation>%1：无法在此处写入视频</translation>
    </message>
    <message>
        <source>%1: the video could not be written</source>
        <translation>%1：无法写入视频</translation>
    </message>
    <message>
        <source>The class of end A (of every frame, unless end B has its own)</source>
        <translation>端点 A 的类别（除非端点 B 有自己的类别，否则用于每一帧）</translation>
    </message>
    <message>
        <source>Another class at end B</source>
        <translation>端点 B 使用另一类别</translation>
    </message>
    <message>
        <source>Morph between two classes: the frames blend the class of A into that of B</source>
        <translation>在两个类别之间渐变：各帧把 A 的类别逐渐混合为 B 的类别</translation>
    </message>
    <message>
        <source>The class of end B</source>
        <translation>端点 B 的类别</translation>
    </message>
    <message>
        <source>Take the seeds and classes of the two samples selected in the Generate gallery</source>
        <translation>采用生成图库中所选两个样本的种子和类别</translation>
    </message>
    <message>
        <source>Class A</source>
        <translation>类别 A</translation>
    </message>
    <message>
        <source>Class B</source>
        <translation>类别 B</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>CM Studio</source>
        <translation>CM Studio</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Interpolate</source>
        <translation>插值</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Click to dismiss</source>
        <translation>单击关闭</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the running job (Esc); it stops within one network evaluation</source>
        <translation>停止正在运行的任务（Esc）；它会在一次网络评估之内停止</translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation>模型：%1</translation>
    </message>
    <message>
        <source>Loaded %1</source>
        <translation>已加载 %1</translation>
    </message>
    <message>
        <source>Could not load the model: %1</source>
        <translation>无法加载模型：%1</translation>
    </message>
    <message numerus="yes">
        <source>Generated %n image(s) in %1 s</source>
        <translation>
            <numerusform>已生成 %n 张图像，用时 %1 秒</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;Model…</source>
        <translation>打开模型(&amp;M)…</translation>
    </message>
    <message>
        <source>Recent Models</source>
        <translation>最近使用的模型</translation>
    </message>
    <message>
        <source>Open &amp;Image…</source>
        <translation>打开图像(&amp;I)…</translation>
    </message>
    <message>
        <source>Ctrl+Shift+O</source>
        <translation>Ctrl+Shift+O</translation>
    </message>
    <message>
        <source>&amp;Reuse Settings of the Opened Image</source>
        <translation>复用所打开图像的设置(&amp;R)</translation>
    </message>
    <message>
        <source>Take seed, class and schedule from a PNG that CM Studio saved</source>
        <translation>从 CM Studio 保存的 PNG 中读取种子、类别和调度</translation>
    </message>
    <message>
        <source>Save &amp;Grid…</source>
        <translation>保存网格图(&amp;G)…</translation>
    </message>
    <message>
        <source>Ctrl+Shift+S</source>
        <translation>Ctrl+Shift+S</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>Ctrl+Shift+C</source>
        <translation>Ctrl+Shift+C</translation>
    </message>
    <message>
        <source>&amp;Paste Image into Editor</source>
        <translation>将图像粘贴到编辑器(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>生成(&amp;G)</translation>
    </message>
    <message>
        <source>Ctrl+Return</source>
        <translation>Ctrl+Return</translation>
    </message>
    <message>
        <source>&amp;Train a Model…</source>
        <translation>训练模型(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>系统语言</translation>
    </message>
    <message>
        <source>The language changes the next time CM Studio starts.</source>
        <translation>语言将在下次启动 CM Studio 时更改。</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About CM Studio</source>
        <translation>关于 CM Studio(&amp;A)</translation>
    </message>
    <message>
        <source>About CM Studio</source>
        <translation>关于 CM Studio</translation>
    </message>
    <message>
        <source>&lt;h3&gt;CM Studio %1&lt;/h3&gt;&lt;p&gt;Sampling and zero-shot editing with consistency models: one-step generation, multistep refinement, inpainting, colorization, super-resolution, stroke-guided editing, denoising and interpolation.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;CM Studio %1&lt;/h3&gt;&lt;p&gt;基于一致性模型的采样与零样本编辑：单步生成、多步细化、图像修复、上色、超分辨率、笔触引导编辑、去噪和插值。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
    <message>
        <source>Open model</source>
        <translation>打开模型</translation>
    </message>
    <message>
        <source>%1 carries the settings that made it: File › Reuse Settings applies them</source>
        <translation>%1 带有生成它时的设置：“文件 › 复用设置”可应用这些设置</translation>
    </message>
    <message>
        <source>Settings applied: seed %1</source>
        <translation>已应用设置：种子 %1</translation>
    </message>
    <message>
        <source>Open image</source>
        <translation>打开图像</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp);;All files (*)</source>
        <translation>图像 (*.png *.jpg *.jpeg *.webp *.bmp);;所有文件 (*)</translation>
    </message>
    <message>
        <source>The clipboard holds no image</source>
        <translation>剪贴板中没有图像</translation>
    </message>
    <message>
        <source>Select images in the gallery first</source>
        <translation>请先在图库中选择图像</translation>
    </message>
    <message>
        <source>Save image</source>
        <translation>保存图像</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Save images into</source>
        <translation>将图像保存到</translation>
    </message>
    <message numerus="yes">
        <source>Saved %n image(s) to %1</source>
        <translation>
            <numerusform>已将 %n 张图像保存到 %1</numerusform>
        </translation>
    </message>
    <message>
        <source>Generate some images first</source>
        <translation>请先生成一些图像</translation>
    </message>
    <message>
        <source>Save grid</source>
        <translation>保存网格图</translation>
    </message>
    <message>
        <source>Select an image in the gallery first</source>
        <translation>请先在图库中选择一张图像</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
    <message>
        <source>%1 of %2 evaluations</source>
        <translation>已完成 %1/%2 次评估</translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <source>Compute: bfloat16</source>
        <translation>计算：bfloat16</translation>
    </message>
    <message>
        <source>Compute: float32</source>
        <translation>计算：float32</translation>
    </message>
    <message>
        <source>Compute in &amp;float32 only</source>
        <translation>仅用 float32 计算(&amp;F)</translation>
    </message>
    <message>
        <source>Off: bfloat16 where the processor supports it (faster, slightly different images)</source>
        <translation>关闭时：处理器支持时使用 bfloat16（更快，图像略有不同）</translation>
    </message>
    <message>
        <source>Open &amp;Diffusers Folder…</source>
        <translation>打开 &amp;Diffusers 文件夹…</translation>
    </message>
    <message>
        <source>Models (*.safetensors *.pt *.pth *.bin);;CM Studio models (*.safetensors);;PyTorch checkpoints (*.pt *.pth *.bin);;All files (*)</source>
        <translation>模型 (*.safetensors *.pt *.pth *.bin);;CM Studio 模型 (*.safetensors);;PyTorch 检查点 (*.pt *.pth *.bin);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Open diffusers folder</source>
        <translation>打开 diffusers 文件夹</translation>
    </message>
    <message>
        <source>%1 is not a diffusers model folder (it has no model_index.json with unet/config.json)</source>
        <translation>%1 不是 diffusers 模型文件夹（其中没有 model_index.json 及 unet/config.json）</translation>
    </message>
    <message>
        <source>&amp;Save…</source>
        <translation>保存(&amp;S)…</translation>
    </message>
    <message>
        <source>The selected images, or in the Edit tab the edit result</source>
        <translation>所选图像；在编辑标签页中则为编辑结果</translation>
    </message>
    <message>
        <source>Save Selected &amp;Images…</source>
        <translation>保存所选图像(&amp;I)…</translation>
    </message>
    <message>
        <source>Save &amp;Edit Result…</source>
        <translation>保存编辑结果(&amp;E)…</translation>
    </message>
    <message>
        <source>Export &amp;Scale</source>
        <translation>导出缩放(&amp;S)</translation>
    </message>
    <message>
        <source>Saved and copied images are enlarged with whole pixels (nearest neighbour)</source>
        <translation>保存和复制的图像按整像素放大（最近邻）</translation>
    </message>
    <message>
        <source>%1×</source>
        <translation>%1×</translation>
    </message>
    <message>
        <source>&amp;Copy Image</source>
        <translation>复制图像(&amp;C)</translation>
    </message>
    <message>
        <source>The selected sample, or in the Edit tab the edit result</source>
        <translation>所选样本；在编辑标签页中则为编辑结果</translation>
    </message>
    <message>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>Editor: apply the operation</source>
        <translation>编辑器：执行操作</translation>
    </message>
    <message>
        <source>+ / − / 0</source>
        <translation>+ / − / 0</translation>
    </message>
    <message>
        <source>Inspector: zoom in, zoom out, fit (with the pointer over the image)</source>
        <translation>检视器：放大、缩小、适应（指针位于图像上时）</translation>
    </message>
    <message>
        <source>Wheel</source>
        <translation>滚轮</translation>
    </message>
    <message>
        <source>Inspector and plot: zoom</source>
        <translation>检视器和图表：缩放</translation>
    </message>
    <message>
        <source>[ / ]</source>
        <translation>[ / ]</translation>
    </message>
    <message>
        <source>Editor: smaller / larger brush</source>
        <translation>编辑器：缩小 / 放大画笔</translation>
    </message>
    <message>
        <source>Shift + drag</source>
        <translation>Shift + 拖动</translation>
    </message>
    <message>
        <source>Editor, rectangle tool: erase the rectangle from the mask</source>
        <translation>编辑器，矩形工具：从蒙版中擦除该矩形</translation>
    </message>
    <message>
        <source>Double-click</source>
        <translation>双击</translation>
    </message>
    <message>
        <source>Gallery: refine and inspect the sample; plot: fit the curves</source>
        <translation>图库：细化并检视样本；图表：使曲线适应视图</translation>
    </message>
    <message>
        <source>Ctrl + click</source>
        <translation>Ctrl + 单击</translation>
    </message>
    <message>
        <source>Gallery: select several samples (Save Selected, Use two selected samples)</source>
        <translation>图库：选择多个样本（保存所选、使用两个所选样本）</translation>
    </message>
    <message>
        <source>Keyboard Shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Save images</source>
        <translation>保存图像</translation>
    </message>
    <message numerus="yes">
        <source>%n of the files exist in %1.</source>
        <translation>
            <numerusform>%1 中已有 %n 个同名文件。</numerusform>
        </translation>
    </message>
    <message>
        <source>Overwrite</source>
        <translation>覆盖</translation>
    </message>
    <message>
        <source>Keep both</source>
        <translation>两者都保留</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) could not be saved:</source>
        <translation>
            <numerusform>%n 张图像未能保存：</numerusform>
        </translation>
    </message>
    <message>
        <source>The editor has no image to save</source>
        <translation>编辑器中没有可保存的图像</translation>
    </message>
    <message>
        <source>The editor has no image to save: open, paste or send one first</source>
        <translation>编辑器中没有可保存的图像：请先打开、粘贴或发送一张图像</translation>
    </message>
    <message>
        <source>Save edit result</source>
        <translation>保存编辑结果</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <source>The editor has no image to copy</source>
        <translation>编辑器中没有可复制的图像</translation>
    </message>
    <message>
        <source>%1 is %2 × %3: opened reduced to %4 × %5. “Fit image to model” makes the model&apos;s input from it; the inspector shows that input.</source>
        <translation>%1 为 %2 × %3：已缩小为 %4 × %5 打开。“使图像适应模型”会由它生成模型的输入；检视器显示该输入。</translation>
    </message>
    <message>
        <source>Compress</source>
        <translation>压缩</translation>
    </message>
    <message numerus="yes">
        <source>Code of %n bit(s): %1</source>
        <translation>
            <numerusform>%n 比特的编码：%1</numerusform>
        </translation>
    </message>
    <message>
        <source>Style</source>
        <translation>风格</translation>
    </message>
    <message numerus="yes">
        <source>Stylised %n image(s)</source>
        <translation>
            <numerusform>已按风格生成 %n 张图像</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MaskCanvas</name>
    <message>
        <source>Mask brush</source>
        <translation>蒙版画笔</translation>
    </message>
    <message>
        <source>Eraser</source>
        <translation>橡皮擦</translation>
    </message>
    <message>
        <source>Rectangle</source>
        <translation>矩形</translation>
    </message>
    <message>
        <source>Colour brush</source>
        <translation>颜色画笔</translation>
    </message>
    <message>
        <source>Paint the region the model should fill ([ and ] change the brush size)</source>
        <translation>涂出模型应填充的区域（[ 和 ] 键调节画笔大小）</translation>
    </message>
    <message>
        <source>Remove painted mask ([ and ] change the brush size)</source>
        <translation>擦除已涂的蒙版（[ 和 ] 键调节画笔大小）</translation>
    </message>
    <message>
        <source>Drag a rectangle to mask; hold Shift to erase it instead</source>
        <translation>拖出矩形作为蒙版；按住 Shift 则改为擦除</translation>
    </message>
    <message>
        <source>Paint rough colour strokes onto the image for stroke-guided editing</source>
        <translation>在图像上涂抹粗略的彩色笔触，用于笔触引导编辑</translation>
    </message>
    <message>
        <source>Open, paste or drop an image, or send one from the gallery</source>
        <translation>打开、粘贴或拖入一张图像，或从图库发送一张图像</translation>
    </message>
</context>
<context>
    <name>MaskDocument</name>
    <message>
        <source>%1: the file does not exist.</source>
        <translation>%1：文件不存在。</translation>
    </message>
    <message>
        <source>%1 is not an image file that can be read (%2).</source>
        <translation>%1 不是可读取的图像文件（%2）。</translation>
    </message>
    <message>
        <source>Set mask</source>
        <translation>设置蒙版</translation>
    </message>
    <message>
        <source>Invert mask</source>
        <translation>反转蒙版</translation>
    </message>
    <message>
        <source>Clear mask</source>
        <translation>清除蒙版</translation>
    </message>
    <message>
        <source>Erase rectangle</source>
        <translation>擦除矩形</translation>
    </message>
    <message>
        <source>Rectangle mask</source>
        <translation>矩形蒙版</translation>
    </message>
    <message>
        <source>Erase stroke</source>
        <translation>擦除笔触</translation>
    </message>
    <message>
        <source>Colour stroke</source>
        <translation>颜色笔触</translation>
    </message>
    <message>
        <source>Mask stroke</source>
        <translation>蒙版笔触</translation>
    </message>
    <message>
        <source>%1 could not be decoded: %2 (a %3 × %4 image that cannot be decoded reduced may need more memory than the %5 MB images may take; save it smaller or as JPEG)</source>
        <translation>无法解码 %1：%2（无法缩小解码的 %3 × %4 图像可能需要超过图像可用的 %5 MB 内存；请将其另存为更小的图像或 JPEG）</translation>
    </message>
</context>
<context>
    <name>ModelPanel</name>
    <message>
        <source>Models that come with CM Studio, trained by its own trainer. Click to load.</source>
        <translation>CM Studio 自带的模型，由其自身的训练器训练。单击以加载。</translation>
    </message>
    <message>
        <source>Open model file…</source>
        <translation>打开模型文件…</translation>
    </message>
    <message>
        <source>Load a .safetensors model written by CM Studio&apos;s trainer</source>
        <translation>加载由 CM Studio 训练器写出的 .safetensors 模型</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>Bundled models</source>
        <translation>内置模型</translation>
    </message>
    <message>
        <source>Model card</source>
        <translation>模型卡</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Consistency model (one or a few steps)</source>
        <translation>一致性模型（一步或少数几步）</translation>
    </message>
    <message>
        <source>EDM denoiser (Heun/Euler; a teacher)</source>
        <translation>EDM 去噪器（Heun/Euler；教师模型）</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>2-D points</source>
        <translation>二维点</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <source>%1 × %1</source>
        <translation>%1 × %1</translation>
    </message>
    <message>
        <source>Channels</source>
        <translation>通道</translation>
    </message>
    <message>
        <source>1 (grey)</source>
        <translation>1（灰度）</translation>
    </message>
    <message>
        <source>3 (RGB)</source>
        <translation>3（RGB）</translation>
    </message>
    <message>
        <source>Classes</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>none (unconditional)</source>
        <translation>无（无条件）</translation>
    </message>
    <message>
        <source>Recipe</source>
        <translation>训练方法</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Training steps</source>
        <translation>训练步数</translation>
    </message>
    <message>
        <source>Data set</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Noise range</source>
        <translation>噪声范围</translation>
    </message>
    <message>
        <source>Hyper-parameters</source>
        <translation>超参数</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message numerus="yes">
        <source>, … (%n more)</source>
        <translation>
            <numerusform>，…（另有 %n 个）</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>No bundled model was found; open a model file (File › Open Model).</source>
        <translation>未找到内置模型；请打开一个模型文件（文件 › 打开模型）。</translation>
    </message>
</context>
<context>
    <name>SampleGallery</name>
    <message>
        <source>Generated samples. Double-click to refine one; right-click for more.</source>
        <translation>生成的样本。双击以细化样本；右键单击查看更多操作。</translation>
    </message>
    <message>
        <source>Zoom</source>
        <translation>缩放</translation>
    </message>
    <message>
        <source>Refine and inspect</source>
        <translation>细化并查看</translation>
    </message>
    <message>
        <source>Send to editor</source>
        <translation>发送到编辑器</translation>
    </message>
    <message>
        <source>Save selected…</source>
        <translation>保存所选…</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Seed %1</source>
        <translation>种子 %1</translation>
    </message>
    <message>
        <source>Thumbnail size: whole-pixel zoom for small images, quarters of large ones</source>
        <translation>缩略图大小：小图按整像素放大，大图按四分之一步进缩放</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适应</translation>
    </message>
    <message>
        <source>The largest whole zoom at which the batch fits the gallery; it grows with the window</source>
        <translation>让整批图像放进图库的最大整数缩放；随窗口变大而变大</translation>
    </message>
    <message>
        <source>%1 px</source>
        <translation>%1 像素</translation>
    </message>
    <message>
        <source>%1, seed %2</source>
        <translation>%1，种子 %2</translation>
    </message>
</context>
<context>
    <name>ScheduleEditor</name>
    <message>
        <source>Network evaluations per image: 1 is one-step generation; more steps refine it.</source>
        <translation>每张图像的网络评估次数：1 为单步生成；更多步数会细化结果。</translation>
    </message>
    <message>
        <source>Noise levels (σ)</source>
        <translation>噪声水平（σ）</translation>
    </message>
    <message>
        <source>Grid indices (ts)</source>
        <translation>网格索引（ts）</translation>
    </message>
    <message>
        <source>Give the multistep schedule as noise levels, or as indices on a Karras grid (index 0 is σ max), as the official code does.</source>
        <translation>以噪声水平或 Karras 网格上的索引（索引 0 为 σ max）给出多步调度，后者与官方代码一致。</translation>
    </message>
    <message>
        <source>Points of the Karras grid that ts indices refer to.</source>
        <translation>ts 索引所对应的 Karras 网格点数。</translation>
    </message>
    <message>
        <source>Strictly decreasing, comma-separated. The first is where sampling starts.</source>
        <translation>严格递减，以逗号分隔。第一个值是采样的起点。</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Schedule as</source>
        <translation>调度形式</translation>
    </message>
    <message>
        <source>Grid points</source>
        <translation>网格点数</translation>
    </message>
    <message>
        <source>Values</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Heun (2nd order)</source>
        <translation>Heun（二阶）</translation>
    </message>
    <message>
        <source>Euler (1st order)</source>
        <translation>Euler（一阶）</translation>
    </message>
    <message>
        <source>The ODE solver for a denoiser (teacher) model.</source>
        <translation>去噪器（教师）模型使用的 ODE 求解器。</translation>
    </message>
    <message>
        <source>Noise levels on the Karras grid; Heun uses 2 × points − 1 evaluations.</source>
        <translation>Karras 网格上的噪声水平数；Heun 需要 2 × 点数 − 1 次评估。</translation>
    </message>
    <message>
        <source>Solver</source>
        <translation>求解器</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>点数</translation>
    </message>
    <message>
        <source>σ (log scale)</source>
        <translation>σ（对数刻度）</translation>
    </message>
    <message>
        <source>The noise levels sampling visits, on a logarithmic axis.</source>
        <translation>采样经过的噪声水平，以对数坐标轴显示。</translation>
    </message>
    <message>
        <source>Values: “%1” is not a number</source>
        <translation>数值：“%1”不是数字</translation>
    </message>
    <message numerus="yes">
        <source>Values: %1 given for %n step(s)</source>
        <translation>
            <numerusform>数值：给出了 %1 个，但步数为 %n</numerusform>
        </translation>
    </message>
    <message>
        <source>Values: noise levels must strictly decrease (%1 then %2)</source>
        <translation>数值：噪声水平必须严格递减（%1 之后为 %2）</translation>
    </message>
    <message>
        <source>Values: %1 is outside the model&apos;s noise range (%2, %3]</source>
        <translation>数值：%1 超出了模型的噪声范围 (%2, %3]</translation>
    </message>
    <message>
        <source>Values: grid indices must be increasing whole numbers in 0..%1</source>
        <translation>数值：网格索引必须是 0..%1 之间递增的整数</translation>
    </message>
    <message numerus="yes">
        <source>%n network evaluation(s) per image; σ = %1</source>
        <translation>
            <numerusform>每张图像 %n 次网络评估；σ = %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n network evaluation(s) per image</source>
        <translation>
            <numerusform>每张图像 %n 次网络评估</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StyleView</name>
    <message>
        <source>The style model: a prompt base with DEADiff&apos;s style and content extractors</source>
        <translation>风格模型：带有 DEADiff 风格与内容提取器的提示词基础模型</translation>
    </message>
    <message>
        <source>Open…</source>
        <translation>打开…</translation>
    </message>
    <message>
        <source>Open a style model file (.safetensors, trained by cmstudio-cli train-style --stage extractors)</source>
        <translation>打开风格模型文件（.safetensors，由 cmstudio-cli train-style --stage extractors 训练）</translation>
    </message>
    <message>
        <source>No style model loaded: pick one or open a style model file.</source>
        <translation>未加载风格模型：请选择一个，或打开风格模型文件。</translation>
    </message>
    <message>
        <source>Open reference…</source>
        <translation>打开参考图像…</translation>
    </message>
    <message>
        <source>The image whose style the results take (or drop one here); it is fitted to the model&apos;s size</source>
        <translation>结果所采用其风格的图像（也可拖放到此处）；会适配到模型的尺寸</translation>
    </message>
    <message>
        <source>Use selected sample</source>
        <translation>使用所选样本</translation>
    </message>
    <message>
        <source>The sample selected in the Generate tab&apos;s gallery</source>
        <translation>“生成”标签页图库中所选的样本</translation>
    </message>
    <message>
        <source>Bundled style swatch: %1</source>
        <translation>内置风格样例：%1</translation>
    </message>
    <message>
        <source>Open, drop or pick a reference image.</source>
        <translation>打开、拖放或选择一张参考图像。</translation>
    </message>
    <message>
        <source>The garments to generate; each gets its own images, from the same seeds</source>
        <translation>要生成的服装；每种各得一组图像，使用相同的种子</translation>
    </message>
    <message>
        <source>Images of each prompt</source>
        <translation>每个提示词的图像数</translation>
    </message>
    <message>
        <source>Image j of every prompt starts from the noise of seed + j: the same seed, reference and prompt give the same image</source>
        <translation>每个提示词的第 j 张图像从种子 + j 的噪声开始：相同的种子、参考图像和提示词得到相同的图像</translation>
    </message>
    <message>
        <source>Randomise</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>Draw a new random seed</source>
        <translation>抽取一个新的随机种子</translation>
    </message>
    <message>
        <source>A one-step (consistency) style model: evaluations per image, 1 by default. A denoiser: Heun points, 2 N - 1 evaluations</source>
        <translation>单步（一致性）风格模型：每张图像的评估次数，默认 1。去噪器：Heun 点数，2 N - 1 次评估</translation>
    </message>
    <message>
        <source>Also take the reference&apos;s content</source>
        <translation>同时采用参考图像的内容</translation>
    </message>
    <message>
        <source>Off: DEADiff&apos;s style mode, the content tokens left out, so the prompt alone decides the garment. On: both token sets of the reference</source>
        <translation>关闭：DEADiff 的风格模式，不使用内容令牌，服装仅由提示词决定。开启：使用参考图像的两组令牌</translation>
    </message>
    <message>
        <source>Style model</source>
        <translation>风格模型</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>参考图像</translation>
    </message>
    <message>
        <source>Swatches</source>
        <translation>样例</translation>
    </message>
    <message>
        <source>Prompts</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>Images each</source>
        <translation>每种图像数</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>The checked garments in the reference&apos;s style</source>
        <translation>以参考图像的风格生成所勾选的服装</translation>
    </message>
    <message>
        <source>◀ Previous run</source>
        <translation>◀ 上一次运行</translation>
    </message>
    <message>
        <source>Show the run before this one (every run of this session is kept)</source>
        <translation>显示上一次运行（本次会话的每次运行都会保留）</translation>
    </message>
    <message>
        <source>Next run ▶</source>
        <translation>下一次运行 ▶</translation>
    </message>
    <message>
        <source>Show the run after this one</source>
        <translation>显示下一次运行</translation>
    </message>
    <message>
        <source>The reference and the results appear here: pick a reference and prompts, then Generate.</source>
        <translation>参考图像和结果显示在这里：选择参考图像和提示词，然后点击“生成”。</translation>
    </message>
    <message>
        <source>Open style model</source>
        <translation>打开风格模型</translation>
    </message>
    <message>
        <source>Style models (*.safetensors)</source>
        <translation>风格模型 (*.safetensors)</translation>
    </message>
    <message>
        <source>Open reference image</source>
        <translation>打开参考图像</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp)</source>
        <translation>图像 (*.png *.jpg *.jpeg *.webp *.bmp)</translation>
    </message>
    <message>
        <source>one-step (consistency) style model: 1 evaluation per image by default</source>
        <translation>单步（一致性）风格模型：默认每张图像 1 次评估</translation>
    </message>
    <message numerus="yes">
        <source>denoiser sampled with Heun: %n point(s) by default</source>
        <translation>
            <numerusform>用 Heun 采样的去噪器：默认 %n 个点</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 × %1 RGB, %2 queries per extractor, %3 parameters, %4 training steps; %5</source>
        <translation>%1 × %1 RGB，每个提取器 %2 个查询，%3 个参数，%4 训练步；%5</translation>
    </message>
    <message>
        <source>Select a sample in the Generate tab&apos;s gallery first</source>
        <translation>请先在“生成”标签页的图库中选择一个样本</translation>
    </message>
    <message>
        <source>sample %1, seed %2</source>
        <translation>样本 %1，种子 %2</translation>
    </message>
    <message>
        <source>%1: %2 × %3</source>
        <translation>%1：%2 × %3</translation>
    </message>
    <message>
        <source>, read as its centre square at %1 × %1</source>
        <translation>，按其中心正方形读取为 %1 × %1</translation>
    </message>
    <message>
        <source>, grey repeated in red, green and blue</source>
        <translation>，灰度复制到红、绿、蓝三个通道</translation>
    </message>
    <message>
        <source>Reference (load a style model to fit it)</source>
        <translation>参考图像（加载风格模型后适配）</translation>
    </message>
    <message>
        <source>New reference: Generate to use it</source>
        <translation>新的参考图像：点击“生成”以使用</translation>
    </message>
    <message>
        <source>Reference, as the model reads it</source>
        <translation>参考图像（模型读取的样子）</translation>
    </message>
    <message>
        <source>Load a style model first</source>
        <translation>请先加载风格模型</translation>
    </message>
    <message>
        <source>Open, drop or pick a reference image first</source>
        <translation>请先打开、拖放或选择一张参考图像</translation>
    </message>
    <message>
        <source>Check at least one garment to generate</source>
        <translation>请至少勾选一种要生成的服装</translation>
    </message>
    <message>
        <source>Reference: %1</source>
        <translation>参考图像：%1</translation>
    </message>
    <message>
        <source>(no style model yet: Open…)</source>
        <translation>（尚无风格模型：打开…）</translation>
    </message>
    <message>
        <source>dropped image</source>
        <translation>拖放的图像</translation>
    </message>
    <message numerus="yes">
        <source>Run %1 of %2, one row per prompt: %3; %n image(s) each from seed %4; evaluations per image: %5</source>
        <translation>
            <numerusform>第 %1 次运行（共 %2 次），每行一个提示词：%3；每种 %n 张图像，从种子 %4 开始；每张图像的评估次数：%5</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TrainCommand</name>
    <message>
        <source>Choose the model file to write.</source>
        <translation>请选择要写入的模型文件。</translation>
    </message>
    <message>
        <source>The folder %1 does not exist.</source>
        <translation>文件夹 %1 不存在。</translation>
    </message>
    <message>
        <source>%1 needs a teacher: an EDM denoiser file.</source>
        <translation>%1 需要教师模型：一个 EDM 去噪器文件。</translation>
    </message>
    <message>
        <source>The teacher %1 does not exist.</source>
        <translation>教师模型 %1 不存在。</translation>
    </message>
    <message>
        <source>Choose the image folder to train on.</source>
        <translation>请选择用于训练的图像文件夹。</translation>
    </message>
    <message>
        <source>The image folder %1 does not exist.</source>
        <translation>图像文件夹 %1 不存在。</translation>
    </message>
    <message>
        <source>The learning rate must be a positive number, e.g. 2e-4.</source>
        <translation>学习率必须是正数，例如 2e-4。</translation>
    </message>
    <message>
        <source>EMA rates are numbers between 0 and 1, separated by commas (got &apos;%1&apos;).</source>
        <translation>EMA 衰减率应为 0 到 1 之间的数，以逗号分隔（得到的是“%1”）。</translation>
    </message>
    <message>
        <source>Choose either resuming or overwriting the run, not both.</source>
        <translation>请在继续训练和覆盖之间选择其一，不能同时选择。</translation>
    </message>
    <message>
        <source>There is no checkpoint to resume from (%1).</source>
        <translation>没有可用于继续训练的检查点（%1）。</translation>
    </message>
    <message>
        <source>A training run already exists (%1). Resume it, or choose to overwrite it.</source>
        <translation>训练已存在（%1）。请继续该训练，或选择覆盖。</translation>
    </message>
    <message>
        <source>A batch of %1 cannot be shared by %2 processes.</source>
        <translation>%1 的批大小无法由 %2 个进程分担。</translation>
    </message>
</context>
<context>
    <name>TrainDialog</name>
    <message>
        <source>Train a model</source>
        <translation>训练模型</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>方法</translation>
    </message>
    <message>
        <source>EDM denoiser (a teacher)</source>
        <translation>EDM 去噪器（教师模型）</translation>
    </message>
    <message>
        <source>Consistency distillation (CD)</source>
        <translation>一致性蒸馏（CD）</translation>
    </message>
    <message>
        <source>Improved consistency training (iCT)</source>
        <translation>改进的一致性训练（iCT）</translation>
    </message>
    <message>
        <source>Easy consistency tuning (ECT)</source>
        <translation>简易一致性微调（ECT）</translation>
    </message>
    <message>
        <source>EDM trains a denoiser; CD distils a denoiser into a consistency model; iCT trains a consistency model from scratch; ECT tunes a denoiser into one.</source>
        <translation>EDM 训练去噪器；CD 将去噪器蒸馏为一致性模型；iCT 从零开始训练一致性模型；ECT 将去噪器微调为一致性模型。</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>模式：</translation>
    </message>
    <message>
        <source>EDM denoiser file</source>
        <translation>EDM 去噪器文件</translation>
    </message>
    <message>
        <source>CD distils this denoiser; ECT starts from it.</source>
        <translation>CD 蒸馏此去噪器；ECT 以它为起点。</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose the denoiser model file</source>
        <translation>选择去噪器模型文件</translation>
    </message>
    <message>
        <source>Teacher:</source>
        <translation>教师模型：</translation>
    </message>
    <message>
        <source>Class-conditional</source>
        <translation>类别条件</translation>
    </message>
    <message>
        <source>Learn the classes too (Fashion-MNIST labels, or sub-folder names).</source>
        <translation>同时学习类别（Fashion-MNIST 标签或子文件夹名称）。</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>Fashion-MNIST</source>
        <translation>Fashion-MNIST</translation>
    </message>
    <message>
        <source>Image folder</source>
        <translation>图像文件夹</translation>
    </message>
    <message>
        <source>The bundled Fashion-MNIST training set, or a folder of PNG/JPEG/WebP images</source>
        <translation>内置的 Fashion-MNIST 训练集，或一个包含 PNG/JPEG/WebP 图像的文件夹</translation>
    </message>
    <message>
        <source>Data:</source>
        <translation>数据：</translation>
    </message>
    <message>
        <source>folder of images</source>
        <translation>图像文件夹</translation>
    </message>
    <message>
        <source>Images in this folder and its sub-folders; sub-folder names are the classes.</source>
        <translation>此文件夹及其子文件夹中的图像；子文件夹名称即为类别。</translation>
    </message>
    <message>
        <source>Choose the image folder</source>
        <translation>选择图像文件夹</translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation>文件夹：</translation>
    </message>
    <message>
        <source> px</source>
        <translation> 像素</translation>
    </message>
    <message>
        <source>Folder images are resized to this square size (also the network&apos;s size).</source>
        <translation>文件夹中的图像会缩放为此边长的正方形（也是网络的尺寸）。</translation>
    </message>
    <message>
        <source>Image size:</source>
        <translation>图像尺寸：</translation>
    </message>
    <message>
        <source>Grey (1 channel)</source>
        <translation>灰度（1 通道）</translation>
    </message>
    <message>
        <source>Colour (3 channels)</source>
        <translation>彩色（3 通道）</translation>
    </message>
    <message>
        <source>Folder images are converted to grey or RGB</source>
        <translation>文件夹中的图像会转换为灰度或 RGB</translation>
    </message>
    <message>
        <source>Channels:</source>
        <translation>通道：</translation>
    </message>
    <message>
        <source>Optimisation</source>
        <translation>优化</translation>
    </message>
    <message>
        <source>Total optimisation steps (a resumed run continues to this number)</source>
        <translation>优化总步数（续训会继续到此步数）</translation>
    </message>
    <message>
        <source>Steps:</source>
        <translation>步数：</translation>
    </message>
    <message>
        <source>Images per optimisation step</source>
        <translation>每个优化步的图像数</translation>
    </message>
    <message>
        <source>Batch size:</source>
        <translation>批大小：</translation>
    </message>
    <message>
        <source>Adam/RAdam learning rate, e.g. 2e-4</source>
        <translation>Adam/RAdam 学习率，例如 2e-4</translation>
    </message>
    <message>
        <source>Learning rate:</source>
        <translation>学习率：</translation>
    </message>
    <message>
        <source>Exponential moving average rates of the weights, comma-separated; the first is the model that is saved</source>
        <translation>权重的指数移动平均（EMA）衰减率，以逗号分隔；第一个即为保存的模型</translation>
    </message>
    <message>
        <source>EMA rates:</source>
        <translation>EMA 衰减率：</translation>
    </message>
    <message>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>CPU threads for the trainer (default: all cores)</source>
        <translation>训练器使用的 CPU 线程数（默认：全部核心）</translation>
    </message>
    <message>
        <source>Threads:</source>
        <translation>线程数：</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>model file to write (.safetensors)</source>
        <translation>要写入的模型文件（.safetensors）</translation>
    </message>
    <message>
        <source>The model file; the checkpoint is written beside it as .ckpt and the training log as .csv</source>
        <translation>模型文件；检查点（.ckpt）和训练日志（.csv）写在它旁边</translation>
    </message>
    <message>
        <source>Choose where to save the model</source>
        <translation>选择模型的保存位置</translation>
    </message>
    <message>
        <source>Model file:</source>
        <translation>模型文件：</translation>
    </message>
    <message>
        <source>Refuse to replace it</source>
        <translation>拒绝替换</translation>
    </message>
    <message>
        <source>Resume it from its checkpoint</source>
        <translation>从其检查点继续训练</translation>
    </message>
    <message>
        <source>Overwrite it</source>
        <translation>覆盖</translation>
    </message>
    <message>
        <source>What to do when a run with this model file already exists</source>
        <translation>当使用此模型文件的训练已存在时如何处理</translation>
    </message>
    <message>
        <source>Existing run:</source>
        <translation>已有训练：</translation>
    </message>
    <message>
        <source>Steps between rows of the training log (the curves)</source>
        <translation>训练日志（曲线）每行之间的步数</translation>
    </message>
    <message>
        <source>Log every:</source>
        <translation>日志间隔：</translation>
    </message>
    <message>
        <source>Steps between checkpoints (and model file updates)</source>
        <translation>检查点（及模型文件更新）之间的步数</translation>
    </message>
    <message>
        <source>Checkpoint every:</source>
        <translation>检查点间隔：</translation>
    </message>
    <message>
        <source>e.g. --base-width 64 --channel-mult 1,2,2</source>
        <translation>例如 --base-width 64 --channel-mult 1,2,2</translation>
    </message>
    <message>
        <source>More trainer options, as on the command line (see cmstudio-cli train --help)</source>
        <translation>更多训练器选项，写法同命令行（见 cmstudio-cli train --help）</translation>
    </message>
    <message>
        <source>More options:</source>
        <translation>更多选项：</translation>
    </message>
    <message>
        <source>The command the dialog runs; copy it to run the training in a terminal</source>
        <translation>此对话框运行的命令；复制后可在终端中运行训练</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the command line to the clipboard</source>
        <translation>将命令行复制到剪贴板</translation>
    </message>
    <message>
        <source>Command:</source>
        <translation>命令：</translation>
    </message>
    <message>
        <source>%v / %m steps (%p%)</source>
        <translation>%v / %m 步（%p%）</translation>
    </message>
    <message>
        <source>Steps done, from the trainer&apos;s output and its log</source>
        <translation>已完成的步数，取自训练器的输出和日志</translation>
    </message>
    <message>
        <source>What the trainer printed</source>
        <translation>训练器的输出</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Start training with these settings</source>
        <translation>以这些设置开始训练</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Interrupt training; the trainer saves a checkpoint that Resume continues</source>
        <translation>中断训练；训练器会保存检查点，可用“继续”接着训练</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Continue the run from its checkpoint</source>
        <translation>从检查点继续这次训练</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Hide this window; a running training continues</source>
        <translation>隐藏此窗口；正在进行的训练会继续</translation>
    </message>
    <message>
        <source>Resuming…</source>
        <translation>正在继续…</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Stopping: the trainer finishes its step and saves a checkpoint…</source>
        <translation>正在停止：训练器会完成当前步并保存检查点…</translation>
    </message>
    <message>
        <source>Kill</source>
        <translation>强制结束</translation>
    </message>
    <message>
        <source>End the trainer at once; work since its last checkpoint is lost</source>
        <translation>立即结束训练器；上次检查点之后的进度将丢失</translation>
    </message>
    <message>
        <source>Folder of training images</source>
        <translation>训练图像文件夹</translation>
    </message>
    <message>
        <source>EDM denoiser to start from</source>
        <translation>作为起点的 EDM 去噪器</translation>
    </message>
    <message>
        <source>Model files (*.safetensors);;All files (*)</source>
        <translation>模型文件 (*.safetensors);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Model file to write</source>
        <translation>要写入的模型文件</translation>
    </message>
    <message>
        <source>Model files (*.safetensors)</source>
        <translation>模型文件 (*.safetensors)</translation>
    </message>
    <message>
        <source>Load model</source>
        <translation>加载模型</translation>
    </message>
    <message>
        <source>Open the model this run wrote, to generate with it</source>
        <translation>打开本次训练写出的模型，用它来生成</translation>
    </message>
    <message>
        <source>Processes on this machine that share every batch (data-parallel training); the result is the same as with one process</source>
        <translation>本机上分担每个批次的进程数（数据并行训练）；结果与单个进程相同</translation>
    </message>
    <message>
        <source>Processes on this machine:</source>
        <translation>本机进程数：</translation>
    </message>
    <message>
        <source> machines</source>
        <translation> 台机器</translation>
    </message>
    <message>
        <source>How many machines the command below is for</source>
        <translation>下方命令所针对的机器数量</translation>
    </message>
    <message>
        <source>Run this on every machine (torchrun comes with python3-torch); replace HOST with the address of the machine that writes the model, and keep the data at the same path on all of them</source>
        <translation>在每台机器上运行此命令（torchrun 随 python3-torch 提供）；将 HOST 替换为写入模型的那台机器的地址，并在所有机器上把数据放在相同路径下</translation>
    </message>
    <message>
        <source>Copy the command for several machines to the clipboard</source>
        <translation>将多机命令复制到剪贴板</translation>
    </message>
    <message>
        <source>On several machines:</source>
        <translation>多台机器：</translation>
    </message>
</context>
<context>
    <name>TrainingLog</name>
    <message>
        <source>CSV</source>
        <translation>CSV</translation>
    </message>
    <message>
        <source>JSON lines</source>
        <translation>JSON Lines</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>%1, line %2</source>
        <translation>%1，第 %2 行</translation>
    </message>
    <message>
        <source>no training log file was given</source>
        <translation>未给出训练日志文件</translation>
    </message>
    <message>
        <source>%1: no such file</source>
        <translation>%1：文件不存在</translation>
    </message>
    <message>
        <source>%1 is a folder, not a training log</source>
        <translation>%1 是文件夹，不是训练日志</translation>
    </message>
    <message>
        <source>cannot read %1: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>%1 is a binary file, not a training log</source>
        <translation>%1 是二进制文件，不是训练日志</translation>
    </message>
    <message>
        <source>%1: no line break in the first %2 KB; not a training log</source>
        <translation>%1：前 %2 KB 中没有换行符；不是训练日志</translation>
    </message>
    <message>
        <source>%1: more than %2 columns; not a training log</source>
        <translation>%1：超过 %2 列；不是训练日志</translation>
    </message>
    <message>
        <source>%1: more than %2 values in all; the rest of the log is not read</source>
        <translation>%1：数值总数超过 %2 个；日志的其余部分不再读取</translation>
    </message>
    <message>
        <source>%1: longer than %2 KB; not a training log</source>
        <translation>%1：超过 %2 KB；不是训练日志</translation>
    </message>
    <message>
        <source>%1: no &apos;step&apos; column; a training log is a CSV file whose header names a &apos;step&apos; column, or JSON lines with a &apos;step&apos; key</source>
        <translation>%1：没有“step”列；训练日志应为表头含“step”列的 CSV 文件，或含“step”键的 JSON Lines 文件</translation>
    </message>
    <message>
        <source>%1: %2 fields, but the header names %3 columns</source>
        <translation>%1：有 %2 个字段，但表头列出了 %3 列</translation>
    </message>
    <message>
        <source>%1: the step &apos;%2&apos; is not a number</source>
        <translation>%1：步数“%2”不是数字</translation>
    </message>
    <message>
        <source>%1: not a JSON object (%2)</source>
        <translation>%1：不是 JSON 对象（%2）</translation>
    </message>
    <message>
        <source>a JSON value of another kind</source>
        <translation>其他类型的 JSON 值</translation>
    </message>
    <message>
        <source>%1: no numeric &apos;step&apos; key</source>
        <translation>%1：没有数值型的“step”键</translation>
    </message>
</context>
<context>
    <name>TrainingProcess</name>
    <message>
        <source>cannot start %1: %2</source>
        <translation>无法启动 %1：%2</translation>
    </message>
    <message>
        <source>A training run is already in progress; stop it first.</source>
        <translation>已有训练正在进行；请先停止它。</translation>
    </message>
    <message>
        <source>The trainer cmstudio-cli was not found beside the application or on the PATH.</source>
        <translation>在应用程序旁或 PATH 中均未找到训练器 cmstudio-cli。</translation>
    </message>
    <message>
        <source>The trainer was ended before it saved a checkpoint.</source>
        <translation>训练器在保存检查点之前被结束。</translation>
    </message>
    <message>
        <source>The trainer crashed: %1</source>
        <translation>训练器崩溃：%1</translation>
    </message>
    <message>
        <source>Training finished.</source>
        <translation>训练完成。</translation>
    </message>
    <message>
        <source>Training was interrupted.</source>
        <translation>训练已中断。</translation>
    </message>
    <message>
        <source>The trainer failed (exit code %1): %2</source>
        <translation>训练器失败（退出码 %1）：%2</translation>
    </message>
</context>
<context>
    <name>TrainingView</name>
    <message>
        <source>Open logs…</source>
        <translation>打开日志…</translation>
    </message>
    <message>
        <source>Open one or more training logs: this app&apos;s CSV, the official consistency_models progress.csv, or JSON lines</source>
        <translation>打开一个或多个训练日志：本应用的 CSV、官方 consistency_models 的 progress.csv，或 JSON Lines</translation>
    </message>
    <message>
        <source>Loaded runs; their colour in the plot. Drop log files here to add them.</source>
        <translation>已加载的训练记录及其在图中的颜色。将日志文件拖到此处即可添加。</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove the selected runs from the plot (the files stay)</source>
        <translation>从图中移除所选训练记录（文件保留）</translation>
    </message>
    <message>
        <source>Train…</source>
        <translation>训练…</translation>
    </message>
    <message>
        <source>Start a training run; its curves appear here as it goes</source>
        <translation>开始一次训练；训练过程中其曲线会显示在这里</translation>
    </message>
    <message>
        <source>PNG…</source>
        <translation>PNG…</translation>
    </message>
    <message>
        <source>Export the plot as a PNG image</source>
        <translation>将图表导出为 PNG 图像</translation>
    </message>
    <message>
        <source>PDF…</source>
        <translation>PDF…</translation>
    </message>
    <message>
        <source>Export the plot as a vector PDF</source>
        <translation>将图表导出为矢量 PDF</translation>
    </message>
    <message>
        <source>Runs:</source>
        <translation>训练记录：</translation>
    </message>
    <message>
        <source>Export:</source>
        <translation>导出：</translation>
    </message>
    <message>
        <source>The quantity to plot</source>
        <translation>要绘制的量</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Wall time</source>
        <translation>墙钟时间</translation>
    </message>
    <message>
        <source>Plot against the optimisation step or the run&apos;s wall-clock time</source>
        <translation>以优化步数或训练的墙钟时间为横轴</translation>
    </message>
    <message>
        <source>Log scale</source>
        <translation>对数刻度</translation>
    </message>
    <message>
        <source>Logarithmic y axis (values at or below zero are left out)</source>
        <translation>对数 y 轴（小于或等于零的值不显示）</translation>
    </message>
    <message>
        <source>Exponential moving average of the curves, as in TensorBoard; the raw curve stays faint behind</source>
        <translation>曲线的指数移动平均，与 TensorBoard 相同；原始曲线以浅色显示在后面</translation>
    </message>
    <message>
        <source>Follow</source>
        <translation>跟踪</translation>
    </message>
    <message>
        <source>Re-read the logs as training runs append to them</source>
        <translation>训练追加写入日志时重新读取</translation>
    </message>
    <message>
        <source>Series:</source>
        <translation>序列：</translation>
    </message>
    <message>
        <source>X axis:</source>
        <translation>X 轴：</translation>
    </message>
    <message>
        <source>Smoothing:</source>
        <translation>平滑：</translation>
    </message>
    <message numerus="yes">
        <source>%1
%2, %n row(s)</source>
        <translation>
            <numerusform>%1
%2，%n 行</numerusform>
        </translation>
    </message>
    <message>
        <source>, last step %1</source>
        <translation>，最后一步 %1</translation>
    </message>
    <message numerus="yes">
        <source>%n non-finite value(s) left out of the plot</source>
        <translation>
            <numerusform>%n 个非有限值未绘入图中</numerusform>
        </translation>
    </message>
    <message>
        <source>No logs loaded.</source>
        <translation>未加载日志。</translation>
    </message>
    <message numerus="yes">
        <source>Following %n log(s).</source>
        <translation>
            <numerusform>正在跟踪 %n 个日志。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n non-finite value(s) left out.</source>
        <translation>
            <numerusform>%n 个非有限值未显示。</numerusform>
        </translation>
    </message>
    <message>
        <source>Training log</source>
        <translation>训练日志</translation>
    </message>
    <message>
        <source>Open training logs</source>
        <translation>打开训练日志</translation>
    </message>
    <message>
        <source>Training logs (*.csv *.jsonl *.json *.log *.txt);;All files (*)</source>
        <translation>训练日志 (*.csv *.jsonl *.json *.log *.txt);;所有文件 (*)</translation>
    </message>
    <message numerus="yes">
        <source>%n log(s) could not be read.</source>
        <translation>
            <numerusform>%n 个日志无法读取。</numerusform>
        </translation>
    </message>
    <message>
        <source>Export the plot as PDF</source>
        <translation>将图表导出为 PDF</translation>
    </message>
    <message>
        <source>Export the plot as PNG</source>
        <translation>将图表导出为 PNG</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>PDF 文件 (*.pdf)</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Plot: drag to pan, scroll to zoom, double-click to fit.</source>
        <translation>图表：拖动以平移，滚动以缩放，双击以适应曲线。</translation>
    </message>
    <message>
        <source>Samples of the model as it trains, from fixed seeds (the trainer&apos;s --preview-every); they are the same noises at every preview</source>
        <translation>训练过程中模型的样本，来自固定种子（训练器的 --preview-every）；每次预览使用相同的噪声</translation>
    </message>
    <message>
        <source>Latest samples:</source>
        <translation>最新样本：</translation>
    </message>
    <message>
        <source>%1
%2</source>
        <translation>%1
%2</translation>
    </message>
</context>
<context>
    <name>png</name>
    <message>
        <source>%1: cannot write (%2)</source>
        <translation>%1：无法写入（%2）</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
</context>
</TS>
