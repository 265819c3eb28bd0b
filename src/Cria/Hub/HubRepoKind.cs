namespace Cria.Hub;

/// <summary>
/// The two kinds of Hub repository Cria downloads. They differ in their URLs (<c>/api/models/…</c> and
/// <c>/{repo}/resolve/…</c> vs <c>/api/datasets/…</c> and <c>/datasets/{repo}/resolve/…</c>) and in their cache
/// folders (<c>models--org--name</c> vs <c>datasets--org--name</c>), as huggingface_hub lays them out.
/// </summary>
public enum HubRepoKind
{
    Model,
    Dataset,
}
