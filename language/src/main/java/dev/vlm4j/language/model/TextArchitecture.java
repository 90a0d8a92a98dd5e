package dev.vlm4j.language.model;

import dev.vlm4j.kernels.RopeStyle;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The decoder families vlm4j runs, by GGUF {@code general.architecture}. They share one forward pass (pre-norm
 * blocks, RMSNorm, rotary attention, SwiGLU FFN) and differ in the switches below, as in llama.cpp.
 */
public enum TextArchitecture {
    /** Llama 2/3, Mistral, TinyLlama, SmolLM2, Vicuna (LLaVA's text side): normal RoPE, no QKV bias. */
    LLAMA("llama", RopeStyle.NORMAL),
    /** Qwen2 / Qwen2.5: NeoX RoPE and biases on Q, K and V. */
    QWEN2("qwen2", RopeStyle.NEOX);

    private final String ggufName;
    private final RopeStyle ropeStyle;

    TextArchitecture(String ggufName, RopeStyle ropeStyle) {
        this.ggufName = ggufName;
        this.ropeStyle = ropeStyle;
    }

    public String ggufName() {
        return ggufName;
    }

    public RopeStyle ropeStyle() {
        return ropeStyle;
    }

    public static Optional<TextArchitecture> fromGgufName(String name) {
        return Arrays.stream(values()).filter(a -> a.ggufName.equals(name)).findFirst();
    }

    static String supportedNames() {
        return Arrays.stream(values()).map(TextArchitecture::ggufName).collect(Collectors.joining(", "));
    }
}
