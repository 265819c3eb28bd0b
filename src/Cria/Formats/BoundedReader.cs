using System.Buffers.Binary;
using System.Text;

namespace Cria.Formats;

/// <summary>
/// A little-endian cursor over a mapped file that checks every read against the file's end,
/// so a corrupt header yields a <see cref="CriaFormatException"/> instead of a crash or a huge allocation.
/// </summary>
internal sealed unsafe class BoundedReader
{
    private readonly MappedFile _file;

    public long Position { get; set; }
    public long Remaining => _file.Length - Position;
    public string FilePath => _file.Path;

    public BoundedReader(MappedFile file, long position = 0)
    {
        _file = file;
        Position = position;
    }

    public ReadOnlySpan<byte> Take(long count, string field)
    {
        if (count < 0 || count > Remaining || count > int.MaxValue)
            throw new CriaFormatException(_file.Path, field, $"needs {count} bytes at offset {Position} but the file ends at {_file.Length} (truncated or corrupt)");
        ReadOnlySpan<byte> span = _file.Span(Position, (int)count);
        Position += count;
        return span;
    }

    public byte U8(string field) => Take(1, field)[0];
    public ushort U16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));
    public uint U32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));
    public int I32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));
    public ulong U64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));
    public long I64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));
    public float F32(string field) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, field));
    public double F64(string field) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));

    /// <summary>A count that must fit in what is left of the file at <paramref name="minBytesEach"/> bytes per item.</summary>
    public long Count(ulong raw, long minBytesEach, string field)
    {
        if (raw > (ulong)long.MaxValue || (long)raw > Remaining / Math.Max(1, minBytesEach))
            throw new CriaFormatException(_file.Path, field, $"count {raw} cannot fit in the {Remaining} bytes left in the file (truncated or corrupt)");
        return (long)raw;
    }

    public string Utf8(long length, string field)
    {
        ReadOnlySpan<byte> bytes = Take(length, field);
        return Encoding.UTF8.GetString(bytes);
    }
}
