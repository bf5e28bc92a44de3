using Microsoft.Extensions.Options;
using PeerEngine.Node;

namespace PeerEngine.Hosting;

/// <summary>Validates <see cref="PeerNodeOptions"/> when the host starts, with the option named in the failure.</summary>
internal sealed class PeerNodeOptionsValidator : IValidateOptions<PeerNodeOptions>
{
    public ValidateOptionsResult Validate(string? name, PeerNodeOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
