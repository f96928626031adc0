package dev.ffnskip.jlama.load.gguf;

import java.util.Arrays;

/**
 * One tensor of a GGUF file as its tensor info describes it.
 *
 * <p>{@code dims} are in GGUF (ggml) order: {@code dims[0]} ("ne0") is the innermost, contiguous dimension. A
 * PyTorch/Hugging Face weight of shape {@code [out, in]} (row-major, {@code in} contiguous) is therefore stored with
 * {@code dims = [in, out]}: {@code out} rows of {@code in} elements each. Quantization blocks run along
 * {@code dims[0]}, which must be a multiple of the type's block size.
 *
 * @param name       the tensor name, e.g. {@code blk.0.ffn_down.weight}
 * @param type       the ggml type of the data
 * @param dims       the dimensions, innermost first (a copy is kept and handed out)
 * @param dataOffset the absolute byte offset of the tensor's data in the file
 * @param byteSize   the number of bytes of data
 */
public record GgufTensor(String name, GgmlType type, long[] dims, long dataOffset, long byteSize) {
    public GgufTensor {
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** The number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Dimension {@code i} in GGUF order (0 = innermost). */
    public long dim(int i) {
        return dims[i];
    }

    /** The product of the dimensions. */
    public long elementCount() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    /** Elements per row: {@code dims[0]} (1 for a rank-0 tensor). */
    public long rowLength() {
        return dims.length == 0 ? 1 : dims[0];
    }

    /** The number of rows: the product of all dimensions but the first. */
    public long rowCount() {
        return rowLength() == 0 ? 0 : elementCount() / rowLength();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t
            && name.equals(t.name)
            && type == t.type
            && Arrays.equals(dims, t.dims)
            && dataOffset == t.dataOffset
            && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + Arrays.hashCode(dims)) * 31 + Long.hashCode(dataOffset);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + dataOffset + " (" + byteSize + " bytes)";
    }
}
