package dev.vlm4j.vision.encoder;

import java.util.Optional;

/** The projectors vlm4j implements, by their {@code clip.projector_type} name. */
public enum ProjectorType {
    /** LLaVA-1.5: {@code mm.0} (Linear) → GELU → {@code mm.2} (Linear) on every patch token. */
    MLP("mlp"),
    /** Idefics3 / SmolVLM: pixel shuffle by {@code clip.vision.projector.scale_factor}, then {@code mm.model.fc} (Linear, no bias). */
    IDEFICS3("idefics3");

    private final String ggufName;

    ProjectorType(String ggufName) {
        this.ggufName = ggufName;
    }

    /** The value of {@code clip.projector_type} in the file. */
    public String ggufName() {
        return ggufName;
    }

    public static Optional<ProjectorType> fromGgufName(String name) {
        for (ProjectorType t : values()) {
            if (t.ggufName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
