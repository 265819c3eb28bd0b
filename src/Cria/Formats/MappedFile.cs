using System.IO.MemoryMappedFiles;

namespace Cria.Formats;

/// <summary>
/// A read-only memory map of a whole file. Weights stay in the page cache and are read in place,
/// so loading a large checkpoint does not copy it into managed arrays.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;

    public string Path { get; }
    public long Length { get; }

    private MappedFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePtr)
    {
        Path = path;
        Length = length;
        _map = map;
        _view = view;
        _base = basePtr;
    }

    public static MappedFile Open(string path)
    {
        FileInfo info = new(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: file not found", path);
        // A symbolic link (as in the Hugging Face cache's snapshots) reports its own length; the target's is wanted.
        if (info.LinkTarget != null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target;
        long length = info.Length;
        if (length == 0) return new MappedFile(path, 0, null, null, null);
        MemoryMappedFile map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* ptr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
        ptr += view.PointerOffset;
        return new MappedFile(path, length, map, view, ptr);
    }

    /// <summary>Pointer to the first byte of the file. Valid until disposal.</summary>
    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_base == null && Length != 0, this);
            return _base;
        }
    }

    /// <summary>A span over [offset, offset+length), checked against the file size.</summary>
    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{Path}: range {offset}+{length} lies beyond the end of the file ({Length} bytes)");
        return new ReadOnlySpan<byte>(Pointer + offset, length);
    }

    public void Dispose()
    {
        if (_view != null && _base != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
