using System.Runtime.Versioning;

// The shared registry file rests on Linux file locks (docs/registry-format.md); so does the host.
[assembly: SupportedOSPlatform("linux")]
