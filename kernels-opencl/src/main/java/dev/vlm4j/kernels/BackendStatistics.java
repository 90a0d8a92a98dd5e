package dev.vlm4j.kernels;

/**
 * A backend's own account of where its time went, for reports: warm-up (device plan builds, weight uploads,
 * kernel compilation) apart from steady-state execution, and a one-line summary with the details.
 */
public record BackendStatistics(double warmUpMillis, double steadyStateMillis, long executions, String summary) {}
