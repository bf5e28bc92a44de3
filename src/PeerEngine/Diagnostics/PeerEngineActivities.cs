using System.Diagnostics;
using PeerEngine.Diagnostics;

namespace PeerEngine;

/// <summary>
/// The engine's spans, on the <see cref="ActivitySource"/> named <c>PeerEngine</c> (hosts opt in with
/// <c>AddSource("PeerEngine")</c>), following OpenTelemetry's semantic conventions: for a request, a
/// client span on the requester and a server span on the peer that handles it (RPC conventions); for a
/// message, a producer span on the sender and a consumer span on the receiver (messaging conventions).
/// </summary>
/// <remarks>
/// Over protocol version 2 the sender's trace context travels in the frame, so the peer's span is a
/// child of the sender's and both belong to one trace; the server or consumer span is
/// <see cref="Activity.Current"/> while the handler runs, so the handler's own calls nest under it.
/// With no listener on the source, no span is made and nothing is allocated.
/// </remarks>
public static class PeerEngineActivities
{
    /// <summary>The source's name.</summary>
    public const string SourceName = "PeerEngine";

    /// <summary>The value of <c>rpc.system.name</c> and <c>messaging.system</c> on the engine's spans.</summary>
    public const string SystemName = "peerengine";

    /// <summary>The source every span of the engine starts from.</summary>
    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Whether anyone listens to the source: when not, no span is made.</summary>
    internal static bool Enabled => Source.HasListeners();

    /// <summary>The requester's span of a REQUEST; <c>null</c> when nobody listens or samples it.</summary>
    internal static Activity? StartRequest(string? peerId, int payloadLength)
    {
        Activity? activity = Source.StartActivity(SystemName, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SpanTags.RpcSystem, SystemName);
            activity.SetTag(SpanTags.PeerId, peerId);
            activity.SetTag(SpanTags.RequestSize, payloadLength);
        }

        return activity;
    }

    /// <summary>The handler's span of a REQUEST, a child of the requester's when its context came with it.</summary>
    internal static Activity? StartHandling(in ActivityContext parent, string peerId, int payloadLength)
    {
        Activity? activity = Source.StartActivity(SystemName, ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SpanTags.RpcSystem, SystemName);
            activity.SetTag(SpanTags.PeerId, peerId);
            activity.SetTag(SpanTags.RequestSize, payloadLength);
        }

        return activity;
    }

    /// <summary>The sender's span of a MESSAGE (<paramref name="operation"/> <c>send</c>) or of a broadcast (<c>broadcast</c>).</summary>
    internal static Activity? StartSend(string operation, string? peerId, int payloadLength)
    {
        Activity? activity = Source.StartActivity(operation, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SpanTags.MessagingSystem, SystemName);
            activity.SetTag(SpanTags.MessagingOperationType, "send");
            activity.SetTag(SpanTags.MessagingOperationName, operation);
            activity.SetTag(SpanTags.MessagingDestination, peerId);
            activity.SetTag(SpanTags.MessageBodySize, payloadLength);
        }

        return activity;
    }

    /// <summary>The handler's span of a MESSAGE, a child of the sender's when its context came with it.</summary>
    internal static Activity? StartProcessing(in ActivityContext parent, string peerId, int payloadLength)
    {
        Activity? activity = Source.StartActivity("process", ActivityKind.Consumer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SpanTags.MessagingSystem, SystemName);
            activity.SetTag(SpanTags.MessagingOperationType, "process");
            activity.SetTag(SpanTags.MessagingOperationName, "process");
            activity.SetTag(SpanTags.PeerId, peerId);
            activity.SetTag(SpanTags.MessageBodySize, payloadLength);
        }

        return activity;
    }

    /// <summary>Marks <paramref name="activity"/> failed: <c>error.type</c> names the exception's type, never its message.</summary>
    internal static void Failed(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error);
        activity.SetTag(SpanTags.ErrorType, error.GetType().FullName);
    }

    /// <summary>Marks a handled request failed with the error code its requester receives.</summary>
    internal static void Failed(Activity? activity, ErrorCode code)
    {
        if (activity is null)
        {
            return;
        }

        string value = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        activity.SetStatus(ActivityStatusCode.Error);
        activity.SetTag(SpanTags.ErrorType, value);
        activity.SetTag(SpanTags.RpcStatusCode, value);
    }
}
