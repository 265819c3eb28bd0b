using System.Buffers.Binary;
using System.Text;
using Cria.Formats;

namespace Cria.Text;

/// <summary>
/// Just enough of the protobuf wire format to walk a SentencePiece ModelProto: varints, fixed32 and
/// length-delimited fields, with every read bounds-checked against the message.
/// </summary>
internal ref struct ProtobufReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _path;
    private readonly string _message;
    private int _pos;

    public ProtobufReader(ReadOnlySpan<byte> data, string path, string message)
    {
        _data = data;
        _path = path;
        _message = message;
        _pos = 0;
    }

    public readonly bool AtEnd => _pos >= _data.Length;

    /// <summary>Reads a field key: the field number and its wire type.</summary>
    public (int Field, int WireType) ReadKey()
    {
        ulong key = ReadVarint("key");
        int field = (int)(key >> 3);
        if (field == 0 || key >> 3 > int.MaxValue) throw Error("key", $"invalid field number {key >> 3}");
        return (field, (int)(key & 7));
    }

    public ulong ReadVarint(string field)
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_pos >= _data.Length) throw Error(field, "message ends inside a varint");
            byte b = _data[_pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Error(field, "varint is longer than 10 bytes");
    }

    public float ReadFixed32Float(string field) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, field));

    public ReadOnlySpan<byte> ReadBytes(string field)
    {
        ulong len = ReadVarint(field + ".length");
        if (len > (ulong)(_data.Length - _pos)) throw Error(field, $"length {len} runs past the end of the message");
        return Take((int)len, field);
    }

    public string ReadString(string field)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(ReadBytes(field));
        }
        catch (DecoderFallbackException e)
        {
            throw new CriaFormatException(_path, $"{_message}.{field}", "string is not valid UTF-8", e);
        }
    }

    public void Skip(int wireType, int fieldNumber)
    {
        string field = $"field {fieldNumber}";
        switch (wireType)
        {
            case 0: ReadVarint(field); break;
            case 1: Take(8, field); break;
            case 2: ReadBytes(field); break;
            case 5: Take(4, field); break;
            default: throw Error(field, $"unsupported wire type {wireType}");
        }
    }

    private ReadOnlySpan<byte> Take(int n, string field)
    {
        if (_data.Length - _pos < n) throw Error(field, $"message ends {n - (_data.Length - _pos)} bytes early");
        ReadOnlySpan<byte> s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }

    private readonly CriaFormatException Error(string field, string problem) => new(_path, $"{_message}.{field}", problem);
}
