package dev.vlm4j.kernels;

/**
 * Argument checks every backend makes the same way, so a wrong shape gives the same message whichever backend
 * runs: spans for {@link Backend#write}/{@link Backend#read}, the shapes of a matmul and the arguments of matmuls.
 */
public final class KernelChecks {
    private KernelChecks() {
    }

    /** {@code length} floats from row {@code row} must lie inside {@code m}. */
    public static void span(Matrix m, int row, int length) {
        if (row < 0 || length < 0 || (long) row * m.cols() + length > m.elements()) {
            throw new IndexOutOfBoundsException(length + " floats from row " + row + " do not fit a " + m.rows() + "x"
                    + m.cols() + " matrix");
        }
    }

    /** Rows {@code from .. from+count-1} must exist in a matrix of {@code rows} rows (for {@link Matrix#rows(int, int)} views). */
    public static void rowRange(int rows, int from, int count) {
        if (from < 0 || count < 0 || from + count > rows) {
            throw new IndexOutOfBoundsException("rows " + from + ".." + (from + count - 1) + " of a " + rows + "-row matrix");
        }
    }

    /** {@code x} is {@code [n][w.columns]} and {@code out} {@code [n][outDim]}. */
    public static void matmul(Weight w, int outDim, Matrix x, Matrix out) {
        int inDim = w.tensor().columns();
        if (x.cols() != inDim) {
            throw new IllegalArgumentException("matmul: input has " + x.cols() + " columns, weight '" + w.tensor().name()
                    + "' expects " + inDim);
        }
        if (out.cols() != outDim || out.rows() != x.rows()) {
            throw new IllegalArgumentException("matmul: output is " + out.rows() + "x" + out.cols() + ", expected "
                    + x.rows() + "x" + outDim);
        }
    }

    /** {@link Backend#matmuls} takes one bias slot (null for none) and one output per weight. */
    public static void matmuls(Weight[] ws, Weight[] biases, Matrix[] outs) {
        if (biases.length != ws.length || outs.length != ws.length) {
            throw new IllegalArgumentException("matmuls: " + ws.length + " weights, " + biases.length + " biases and "
                    + outs.length + " outputs");
        }
    }
}
