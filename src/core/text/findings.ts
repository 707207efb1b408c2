import { fillTemplate, type TextCatalog, type TextParams } from './template.js';

/**
 * The English of the findings (`podpath findings`), by code: what happened (`summary`), why
 * (`explanation`: the mechanism) and what to change (`suggestion`). A sentence with a number
 * of things has plural forms chosen by `count` (`summary_one`, `summary_other`), as i18next
 * does. The app's catalogs are to hold the same object as their "finding" section.
 */
export const FINDING_TEXT = {
  mtuFragmentationNeeded: {
    summary_one:
      '{{router}} could not forward a {{largest}}-byte packet from {{src}} to {{dst}} ({{protocol}}) and sent back ICMP fragmentation needed: next-hop MTU {{mtu}}',
    summary_other:
      '{{router}} could not forward {{count}} packets of up to {{largest}} bytes from {{src}} to {{dst}} ({{protocol}}) and sent back ICMP fragmentation needed: next-hop MTU {{mtu}}',
    explanation:
      'The packet had Don’t Fragment set and was longer than the next link’s MTU, so the router dropped it and said so. With an overlay the tunnel device’s MTU is the underlay’s less the tunnel headers (50 bytes for VXLAN and Geneve, 20 for IP-in-IP): a pod interface with a larger MTU sends packets that fit only once the sender has learned the path MTU, and never if this ICMP is filtered (a black hole).',
    suggestion:
      'Give the pods an MTU of at most {{mtu}} (the CNI’s MTU setting: Flannel’s, Calico’s veth MTU, Cilium’s mtu), or raise the underlay’s MTU; never filter ICMP fragmentation-needed.',
  },
  mtuPacketTooBig: {
    summary_one:
      '{{router}} could not forward a {{largest}}-byte packet from {{src}} to {{dst}} ({{protocol}}) and sent back ICMPv6 packet too big: MTU {{mtu}}',
    summary_other:
      '{{router}} could not forward {{count}} packets of up to {{largest}} bytes from {{src}} to {{dst}} ({{protocol}}) and sent back ICMPv6 packet too big: MTU {{mtu}}',
    explanation:
      'IPv6 routers never fragment: a packet longer than the next link’s MTU is dropped and the sender told to send smaller ones. With an overlay the tunnel device’s MTU is the underlay’s less the tunnel headers (50 bytes for VXLAN and Geneve), so a pod interface with a larger MTU depends on this ICMPv6 getting back.',
    suggestion:
      'Give the pods an MTU of at most {{mtu}} (the CNI’s MTU setting), or raise the underlay’s MTU; never filter ICMPv6 packet too big.',
  },
  mtuOversizedForOverlay: {
    summary_one:
      '{{src}} sent a {{largest}}-byte packet to {{dst}} on another node, but {{datapath}} adds {{overhead}} bytes: only {{limit}}-byte packets fit a 1500-byte underlay',
    summary_other:
      '{{src}} sent {{count}} packets of up to {{largest}} bytes to {{dst}} on another node, but {{datapath}} adds {{overhead}} bytes: only {{limit}}-byte packets fit a 1500-byte underlay',
    explanation:
      'Pod-to-pod traffic between nodes is wrapped in the tunnel’s headers, so the pod’s packets must leave room for them. These packets are longer: the node fragments them, or drops them and answers with ICMP fragmentation needed when Don’t Fragment is set, unless the underlay carries jumbo frames.',
    suggestion:
      'Set the pod MTU to {{limit}} (the overlay’s MTU setting in the CNI config; a custom image or a hand-made interface may ignore it), or give the underlay an MTU of at least 1500 plus {{overhead}}.',
  },
  mtuBlackHole: {
    summary_one:
      '{{src}} sent a large segment (at least {{segment}} bytes) to {{dst}} again and it was never acknowledged',
    summary_other:
      '{{src}} sent large segments (at least {{segment}} bytes) to {{dst}} {{count}} times and they were never acknowledged, while smaller ones got through',
    explanation:
      'Small packets pass and full-size ones vanish: the path’s MTU is smaller than the sender thinks, and the ICMP that would tell it (fragmentation needed, packet too big) is lost or filtered. The connection stalls after the handshake: an MTU black hole, typical of an overlay whose pods use the underlay’s MTU.',
    suggestion:
      'Lower the pod MTU to the tunnel’s (underlay MTU less 50 for VXLAN), allow ICMP fragmentation-needed / packet-too-big through firewalls and security groups, or clamp the TCP MSS.',
  },
  fragmentedTunnel: {
    summary_one: 'A tunnel packet from {{src}} to {{dst}} was fragmented on the underlay',
    summary_other: '{{count}} fragments of tunnel packets from {{src}} to {{dst}} on the underlay',
    explanation:
      'The inner packet plus the tunnel headers was longer than the underlay’s MTU, and the outer header allows fragmenting (Linux VXLAN does not set Don’t Fragment by default), so the node split it. It works, at a cost: reassembly on the receiving node, and networks that drop fragments drop the traffic.',
    suggestion:
      'Lower the pod MTU so that inner packet plus tunnel headers fit the underlay (1450 for VXLAN on 1500), or raise the underlay’s MTU.',
  },
  dnsSearchExpansion: {
    summary_one: '{{client}} resolved {{name}} in {{count}} query',
    summary_other:
      '{{client}} needed {{count}} queries and {{costMs}} ms to resolve {{name}}: tried {{names}}; {{failed}} failed before {{answeredAs}} was answered',
    explanation:
      'The kubelet writes the pod’s resolv.conf with the search list <namespace>.svc.cluster.local, svc.cluster.local, cluster.local and options ndots:5: a name with fewer than five dots ({{name}} has {{dots}}) is tried with each search suffix first, each a round trip to {{server}} that comes back NXDOMAIN, before the name itself.',
    suggestion:
      'Write external names fully qualified with a trailing dot ({{name}}.), or lower ndots in the pod’s dnsConfig (options: ndots: 2), or run NodeLocal DNSCache so the misses are answered on the node.',
  },
  dnsNxdomainAfterSearch: {
    summary_one: '{{client}} could not resolve {{name}}: {{count}} query answered NXDOMAIN',
    summary_other:
      '{{client}} could not resolve {{name}}: {{count}} queries ({{names}}) in {{costMs}} ms, {{failed}} answered NXDOMAIN or no records',
    explanation:
      'The name was tried with every search suffix of the pod’s resolv.conf (ndots:5 puts them first for names with fewer than five dots; {{name}} has {{dots}}) and as it is, and {{server}} knows none of them: the name does not exist, or is misspelt, or lives in another namespace.',
    suggestion:
      'Check the name: a Service in another namespace is <service>.<namespace> (or <service>.<namespace>.svc.cluster.local); an external name must exist in the upstream DNS.',
  },
  dnsNxdomain: {
    summary_one: '{{server}} answered NXDOMAIN to {{client}} for {{names}}',
    summary_other: '{{server}} answered NXDOMAIN to {{count}} queries from {{client}} for {{names}}',
    explanation:
      'NXDOMAIN means the name does not exist. For a Service name it is the wrong namespace or a Service not created yet; the cluster DNS only knows <service>.<namespace>.svc.<cluster domain> and the pods’ own records.',
    suggestion:
      'Check the names asked for against the Services and namespaces that exist (kubectl get svc -A), and the upstream DNS for external names.',
  },
  dnsServfail: {
    summary_one: '{{server}} answered SERVFAIL for {{names}}',
    summary_other: '{{server}} answered SERVFAIL to {{count}} queries for {{names}}',
    explanation:
      'SERVFAIL means the server could not get an answer: for CoreDNS, usually its forward plugin could not reach the upstream resolver (from the node’s /etc/resolv.conf), or a loop or a DNSSEC failure.',
    suggestion:
      'Look at the CoreDNS logs (kubectl logs -n kube-system -l k8s-app=kube-dns) and check that CoreDNS pods reach their upstream resolvers.',
  },
  dnsRefused: {
    summary_one: '{{server}} refused a query for {{names}}',
    summary_other: '{{server}} refused {{count}} queries for {{names}}',
    explanation:
      'REFUSED means the server will not answer this client or this zone: a resolver that only serves its own networks, or a zone it is not configured for.',
    suggestion: 'Send the queries to the cluster DNS Service, or allow the pod network on the server.',
  },
  dnsTimeout: {
    summary_one: 'A query from {{client}} to {{server}} for {{names}} was never answered',
    summary_other: '{{count}} queries from {{client}} to {{server}} were never answered ({{names}})',
    explanation:
      'The resolver waits (5 seconds in glibc) and tries again: every unanswered query is seconds of delay for the application. The query or its answer was lost on the way (a NetworkPolicy, a DNS pod not ready, conntrack races on UDP), or the server is overloaded.',
    suggestion:
      'Check that the DNS pods are ready and reachable from this pod (NetworkPolicies allowing UDP and TCP 53), and look for packet loss between the pod and the DNS Service.',
  },
  dnsTimeoutRetried: {
    summary_one: 'A query from {{client}} to {{server}} was answered only after {{waitedMs}} ms and a retry',
    summary_other:
      '{{count}} queries from {{client}} to {{server}} were answered only after retries ({{names}})',
    explanation:
      'The first attempt got no answer, so the resolver sent the query again after its timeout: a lost packet, a known conntrack race of parallel A and AAAA queries over UDP, or an overloaded DNS server.',
    suggestion:
      'Add options single-request-reopen to the pod’s dnsConfig (or use-vc), run NodeLocal DNSCache, and look for loss between the pod and the DNS Service.',
  },
  dnsWrongServer: {
    summary_one:
      '{{client}} sent a DNS query for {{names}} to {{server}}, not to the cluster DNS ({{clusterDns}})',
    summary_other:
      '{{client}} sent {{count}} DNS queries for {{names}} to {{server}}, not to the cluster DNS ({{clusterDns}})',
    explanation:
      'A pod with dnsPolicy ClusterFirst asks the cluster DNS Service, which resolves Service names and forwards the rest. This pod asks another server: dnsPolicy Default or a custom dnsConfig, or an image with its own resolv.conf, and it cannot resolve Service names.',
    suggestion:
      'Use dnsPolicy ClusterFirst (the default) unless the pod must bypass the cluster DNS, and check the pod’s /etc/resolv.conf.',
  },
  serviceNoEndpoints: {
    summary_one:
      '{{service}} has no ready endpoints: a connection from {{client}} to {{address}} ({{protocol}}) was rejected by {{node}} with ICMP port unreachable',
    summary_other:
      '{{service}} has no ready endpoints: {{count}} connections from {{client}} to {{address}} ({{protocol}}) were rejected by {{node}} with ICMP port unreachable',
    explanation:
      'For a Service without ready endpoints kube-proxy installs a REJECT rule, so the client’s own node answers at once; only the header quoted inside the ICMP names the Service address. The snapshot shows none of its endpoints ready (not ready: {{notReady}}).',
    suggestion:
      'Make the Service’s pods ready (kubectl get endpointslices for {{service}}; check their readiness probes) or fix its selector so it matches the pods.',
  },
  serviceRejectedDespiteEndpoints: {
    summary_one:
      'A connection from {{client}} to {{service}} at {{address}} ({{protocol}}) was rejected by {{node}} with ICMP port unreachable',
    summary_other:
      '{{count}} connections from {{client}} to {{service}} at {{address}} ({{protocol}}) were rejected by {{node}} with ICMP port unreachable',
    explanation:
      'kube-proxy REJECTs connections to a Service without ready endpoints, so the client’s own node answers. The snapshot lists {{ready}} ready endpoints: when the capture was taken they were not ready, or kube-proxy had not caught up.',
    suggestion:
      'Compare the Service’s EndpointSlices at the time of the capture (readiness probes that flap), and check kube-proxy on {{node}}.',
  },
  serviceNoEndpointsReset: {
    summary_one:
      '{{service}} has no ready endpoints: a connection from {{client}} to {{address}} was reset at once',
    summary_other:
      '{{service}} has no ready endpoints: {{count}} connections from {{client}} to {{address}} were reset at once',
    explanation:
      'No pod backs the Service, so nothing takes the connection: the node answers for the Service address (with IPVS the address is on the node and nothing listens there). The snapshot shows none of its endpoints ready (not ready: {{notReady}}).',
    suggestion:
      'Make the Service’s pods ready (their readiness probes) or fix its selector so it matches the pods.',
  },
  serviceNoEndpointsSilent: {
    summary_one:
      '{{service}} has no ready endpoints: a connection from {{client}} to {{address}} got no answer ({{syns}} SYNs)',
    summary_other:
      '{{service}} has no ready endpoints: {{count}} connections from {{client}} to {{address}} got no answer ({{syns}} SYNs)',
    explanation:
      'No pod backs the Service, so the SYNs go nowhere (this data path drops them instead of rejecting them). The snapshot shows none of its endpoints ready (not ready: {{notReady}}).',
    suggestion:
      'Make the Service’s pods ready (their readiness probes) or fix its selector so it matches the pods.',
  },
  endpointNotListening: {
    summary_one:
      '{{endpoint}}, an endpoint of {{service}}, refused a connection from {{client}} to {{address}}: nothing listens on port {{targetPort}}',
    summary_other:
      '{{endpoint}}, an endpoint of {{service}}, refused {{count}} connections from {{client}} to {{address}}: nothing listens on port {{targetPort}}',
    explanation:
      'kube-proxy sent the connection to the endpoint’s targetPort, and the pod’s kernel answered with a RST because no socket listens there; conntrack rewrote that RST back to the Service address, so the client sees the Service refuse it.',
    suggestion:
      'Make the Service’s targetPort ({{targetPort}}) the port the container really listens on (often a named port mismatch), or fix the application’s listen address (0.0.0.0, not 127.0.0.1).',
  },
  endpointNotListeningBehindService: {
    summary_one:
      'A connection from {{client}} to {{address}} was refused: its endpoints ({{endpoint}}) do not listen on port {{targetPort}}',
    summary_other:
      '{{count}} connections from {{client}} to {{address}} were refused: its endpoints ({{endpoint}}) do not listen on port {{targetPort}}',
    explanation:
      'The RST came back from the Service address, but kube-proxy had sent the connection on to an endpoint: the endpoint’s kernel refused it, and conntrack rewrote the RST’s source back to the Service address.',
    suggestion:
      'Make the targetPort of {{service}} ({{targetPort}}) the port the container really listens on, or fix the application’s listen address (0.0.0.0, not 127.0.0.1).',
  },
  endpointPortUnreachable: {
    summary_one:
      '{{endpoint}}, an endpoint of {{service}}, answered ICMP port unreachable to {{client}}: nothing listens on {{protocol}} port {{port}}',
    summary_other:
      '{{endpoint}}, an endpoint of {{service}}, answered ICMP port unreachable to {{count}} flows from {{client}}: nothing listens on {{protocol}} port {{port}}',
    explanation:
      'The packet reached the endpoint pod, whose kernel found no socket on the port and said so (over UDP there is no RST).',
    suggestion:
      'Make the Service’s targetPort the port the container listens on, with the right protocol, or fix the application’s listen address.',
  },
  portUnreachable: {
    summary_one:
      '{{sender}} answered ICMP port unreachable to {{client}}: nothing listens on {{protocol}} port {{port}}',
    summary_other:
      '{{sender}} answered ICMP port unreachable to {{count}} flows from {{client}}: nothing listens on {{protocol}} port {{port}}',
    explanation: 'The packet reached {{address}}, whose kernel found no socket on the port and said so.',
    suggestion: 'Check the port the application listens on, and its listen address.',
  },
  rejectedOnPath: {
    summary_one:
      '{{sender}} rejected a connection from {{client}} to {{address}} port {{port}} ({{protocol}}) with an ICMP error',
    summary_other:
      '{{sender}} rejected {{count}} connections from {{client}} to {{address}} port {{port}} ({{protocol}}) with an ICMP error',
    explanation:
      'The error did not come from the destination but from {{sender}} on the way, quoting the rejected packet: a REJECT rule there. In a cluster, kube-proxy rejects this way connections to a Service without endpoints; a NetworkPolicy or firewall rule does too.',
    suggestion:
      'Check the rules on {{sender}} (iptables-save | grep REJECT) and, if the address is a Service, its endpoints.',
  },
  tcpRefused: {
    summary_one: '{{server}} refused a connection from {{client}} (RST to the SYN)',
    summary_other: '{{server}} refused {{count}} connections from {{client}} (RST to the SYN)',
    explanation: 'A RST answering a SYN means no socket listens on that address and port.',
    suggestion:
      'Check that the application listens on this port and on all addresses (0.0.0.0), not 127.0.0.1.',
  },
  synUnanswered: {
    summary_one: 'A connection from {{client}} to {{server}} got no answer ({{syns}} SYNs)',
    summary_other: '{{count}} connections from {{client}} to {{server}} got no answer ({{syns}} SYNs)',
    explanation:
      'The SYNs went out and nothing came back, at any capture point: they were dropped on the way (a NetworkPolicy, a firewall or security group, a missing route) or the host is down. A REJECT would have sent an error back; a drop sends nothing, and the client waits for its timeout.',
    suggestion:
      'Follow the SYN with captures further on the path (podpath trace) to see where it stops, and check NetworkPolicies and firewall rules for the destination port.',
  },
  synUnansweredLocalPolicy: {
    summary_one:
      'A connection from {{client}} to NodePort {{nodePort}} on {{node}} got no answer ({{syns}} SYNs): {{service}} has externalTrafficPolicy Local and no ready endpoint on {{node}}',
    summary_other:
      '{{count}} connections from {{client}} to NodePort {{nodePort}} on {{node}} got no answer ({{syns}} SYNs): {{service}} has externalTrafficPolicy Local and no ready endpoint on {{node}}',
    explanation:
      'With externalTrafficPolicy Local a node only sends NodePort and LoadBalancer traffic to endpoints on itself, keeping the client’s address; a node without one drops new connections (kube-proxy’s "has no local endpoints" rule). Its endpoints run on {{endpointNodes}}.',
    suggestion:
      'Send the traffic only to nodes with a ready endpoint: a load balancer does so by checking the healthCheckNodePort; or run an endpoint on every node (a DaemonSet), or use externalTrafficPolicy Cluster if the client address does not matter.',
  },
  synUnansweredEndpoint: {
    summary_one:
      'A connection from {{client}} to {{server}} got no answer ({{syns}} SYNs): it reached {{endpoint}}, an endpoint of {{service}}, which never answered',
    summary_other:
      '{{count}} connections from {{client}} to {{server}} got no answer ({{syns}} SYNs): they reached {{endpoint}}, an endpoint of {{service}}, which never answered',
    explanation:
      'kube-proxy picked this endpoint and the SYN was sent on to it, but no SYN-ACK came back: the pod is not running any more (a stale endpoint), its node or the path to it drops the traffic (a NetworkPolicy on the pod, a broken overlay between the nodes).',
    suggestion:
      'Check that the endpoint pod is running and ready, that NetworkPolicies allow the client, and that the overlay between the two nodes works (podpath trace on both nodes).',
  },
  synUnansweredService: {
    summary_one:
      'A connection from {{client}} to {{server}} got no answer ({{syns}} SYNs); the endpoints of {{service}} are {{endpoint}}',
    summary_other:
      '{{count}} connections from {{client}} to {{server}} got no answer ({{syns}} SYNs); the endpoints of {{service}} are {{endpoint}}',
    explanation:
      'kube-proxy translates the Service address to one of its endpoints on the client’s node; no answer came back from it, so either the translated SYN was dropped on the way to the endpoint or the endpoint does not answer.',
    suggestion:
      'Capture on the client’s node and the endpoint’s node (podpath trace) to see where the SYN stops; check NetworkPolicies and the endpoints’ readiness.',
  },
  handshakeIncomplete: {
    summary_one:
      '{{server}} answered a connection from {{client}} with a SYN-ACK that was never acknowledged ({{synAcks}} SYN-ACKs)',
    summary_other:
      '{{server}} answered {{count}} connections from {{client}} with SYN-ACKs that were never acknowledged ({{synAcks}} SYN-ACKs)',
    explanation:
      'The server’s SYN-ACK does not get back to the client: the return path differs from the way in (asymmetric routing, where conntrack on the other path drops it as INVALID, or rp_filter), or a NAT on the way lost its state.',
    suggestion:
      'Capture on the path back (podpath trace) to see where the SYN-ACK stops; make replies return through the node that translated the request.',
  },
  tcpRetransmissions: {
    summary_one:
      '{{server}}: {{count}} segment retransmitted in connections from {{client}} ({{segments}} data segments, {{connections}} connections)',
    summary_other:
      '{{server}}: {{count}} segments retransmitted in connections from {{client}} ({{segments}} data segments, {{connections}} connections; {{fromClient}} sent again by the client, {{fromServer}} by the server)',
    explanation:
      'A segment is sent again when it (or its acknowledgment) was lost: each retransmission costs at least a round trip and shrinks the sender’s congestion window, a timeout 200 ms or more. Losses inside a cluster point at a full queue, a policy dropping some packets, MTU trouble (large segments only), or a faulty link.',
    suggestion:
      'Look for where the segments are lost (podpath trace with captures on both nodes), and at interface drop counters (ip -s link) on the nodes.',
  },
  tcpSynRetransmitted: {
    summary_one:
      'A connection from {{client}} to {{server}} opened only after its SYN was sent again ({{syns}} SYNs)',
    summary_other:
      '{{count}} connections from {{client}} to {{server}} opened only after their SYN was sent again ({{syns}} SYNs)',
    explanation:
      'The first SYN (or its SYN-ACK) was lost, and the client waited its retransmission timeout (1 second, then 2, 4...) before trying again: a second of delay each time. Typical causes: a conntrack race on a new connection, a SYN queue overflow, or a policy that lets only some packets through.',
    suggestion:
      'Look for where the first SYN went (podpath trace), and at the server’s listen queue (nstat -az TcpExtListenOverflows).',
  },
  tcpZeroWindow: {
    summary_one: '{{advertiser}} advertised a zero receive window to {{peer}}',
    summary_other:
      '{{advertiser}} advertised a zero receive window to {{peer}} {{count}} times ({{connections}} connections)',
    explanation:
      'A zero window means the receiving application is not reading its socket fast enough and its buffer is full, so the sender must stop: the bottleneck is the application at {{advertiser}}, not the network.',
    suggestion:
      'Look at the receiving application (CPU limits and throttling, a slow consumer), not the network.',
  },
  tcpAborted: {
    summary_one: '{{by}} reset a connection with {{peer}} after data was exchanged',
    summary_other: '{{by}} reset {{count}} connections with {{peer}} after data was exchanged',
    explanation:
      'A RST in the middle of a connection aborts it: the application closed a socket with unread data, crashed, or timed out; or a middlebox (conntrack, a proxy) no longer knew the connection.',
    suggestion:
      'Check the application logs at {{by}} around the time, and idle timeouts of load balancers and conntrack (nf_conntrack_tcp_timeout_established).',
  },
  clientIpMasqueraded: {
    summary_one:
      '{{service}} ({{type}}, externalTrafficPolicy {{policy}}): its endpoint {{endpoint}} sees a connection from {{nodes}}, not from the client',
    summary_other:
      '{{service}} ({{type}}, externalTrafficPolicy {{policy}}): its endpoint {{endpoint}} sees {{count}} connections from {{nodes}}, not from the clients',
    explanation:
      'With externalTrafficPolicy Cluster the node that receives NodePort or LoadBalancer traffic may send it to an endpoint on another node, so kube-proxy masquerades the source to the node’s own address (the address of the interface towards the endpoint): the pod never sees the client’s address.',
    suggestion:
      'Set externalTrafficPolicy: Local on the Service to keep the client’s address (only nodes with a ready endpoint then take the traffic; a load balancer finds them by the healthCheckNodePort), or have the load balancer pass the client (PROXY protocol, X-Forwarded-For).',
  },
  clientIpMasqueradedSeen: {
    summary_one:
      '{{service}} ({{type}}, externalTrafficPolicy {{policy}}): the connection of {{clients}} reaches its endpoint {{endpoint}} from {{nodes}}',
    summary_other:
      '{{service}} ({{type}}, externalTrafficPolicy {{policy}}): {{count}} connections of {{clients}} reach its endpoint {{endpoint}} from {{nodes}}',
    explanation:
      'With externalTrafficPolicy Cluster the node that receives NodePort or LoadBalancer traffic may send it to an endpoint on another node, so kube-proxy masquerades the source to the node’s own address (the address of the interface towards the endpoint): the pod never sees the client’s address.',
    suggestion:
      'Set externalTrafficPolicy: Local on the Service to keep the client’s address (only nodes with a ready endpoint then take the traffic; a load balancer finds them by the healthCheckNodePort), or have the load balancer pass the client (PROXY protocol, X-Forwarded-For).',
  },
  clientIpMasqueradedOrProbes: {
    summary_one:
      '{{service}} ({{type}}, externalTrafficPolicy {{policy}}): its endpoint {{endpoint}} sees a connection from its own node’s address {{nodes}}',
    summary_other:
      '{{service}} ({{type}}, externalTrafficPolicy {{policy}}): its endpoint {{endpoint}} sees {{count}} connections from its own node’s address {{nodes}}',
    explanation:
      'With externalTrafficPolicy Cluster kube-proxy masquerades NodePort and LoadBalancer traffic to the node’s address, so clients arriving through this node look like this; but the kubelet’s health probes come from the same address, and no capture here shows a client before the node.',
    suggestion:
      'Capture before the node (its underlay, or the client) to tell clients from probes; to keep client addresses, set externalTrafficPolicy: Local on the Service.',
  },
  proxyProtocol: {
    summary_one:
      '{{lb}} opens its connection to {{server}} with a PROXY protocol v{{version}} header naming the client {{clients}}',
    summary_other:
      '{{lb}} opens {{count}} connections to {{server}} with a PROXY protocol v{{version}} header naming the clients {{clients}}',
    explanation:
      'The load balancer ends the client’s connection and opens its own, so no IP header the pod receives carries the client; only the PROXY header at the start of the stream does. The server must expect it, or it reads the header as a broken request.',
    suggestion:
      'Make sure the server parses the header (nginx: listen ... proxy_protocol; others: their PROXY protocol option), and that every path to it sends one.',
  },
  proxyProtocolUnannounced: {
    summary_one:
      '{{lb}} opens its connection to {{server}} with a PROXY protocol v{{version}} header naming the client {{clients}}, but no annotation of {{service}} asks a load balancer for one',
    summary_other:
      '{{lb}} opens {{count}} connections to {{server}} with a PROXY protocol v{{version}} header naming the clients {{clients}}, but no annotation of {{service}} asks a load balancer for one',
    explanation:
      'Whatever opened the connection wrote the header: a load balancer set up outside Kubernetes (by hand, by Terraform, by a controller podpath does not know) or a proxy in front of the Service. Nothing in the Service says so, so the server must be set apart to read the header before the request, or it reads it as a broken request; and a cloud controller that manages this load balancer may turn the setting off again when it next syncs the Service.',
    suggestion:
      'Have the server expect the header on this port (nginx: listen ... proxy_protocol; ingress-nginx: use-proxy-protocol) only if every path to it sends one; if a cloud controller manages the load balancer, declare it on {{service}} with that provider’s annotation (e.g. service.beta.kubernetes.io/aws-load-balancer-proxy-protocol: "*").',
  },
  proxyProtocolMissing: {
    summary_one:
      '{{service}} is annotated for PROXY protocol ({{annotation}}), but a connection from {{clients}} reaches it (port {{ports}}) without a PROXY header',
    summary_other:
      '{{service}} is annotated for PROXY protocol ({{annotation}}), but {{count}} connections from {{clients}} reach it (port {{ports}}) without a PROXY header',
    explanation:
      'With this annotation the cloud load balancer writes a PROXY header at the start of every connection it opens to the Service, so the server behind it is set up to read one first (nginx listen ... proxy_protocol, ingress-nginx use-proxy-protocol): it refuses a stream that starts otherwise (“broken header”) or takes the first bytes of the request for the header. These streams start with the client’s own bytes: the load balancer does not send the header (the annotation came after it was created, or its controller ignores it), or they reach the NodePort or the endpoints without passing it (the kubelet’s probes, other nodes, a client sent to a node directly).',
    suggestion:
      'Check that PROXY protocol is on in the load balancer’s listeners or target groups (some controllers read the annotation only when they create the load balancer: recreate the Service); keep the kubelet’s probes and direct clients on a port without PROXY protocol, or let the server accept streams without it from trusted addresses; if the server does not expect PROXY protocol, remove the annotation.',
  },
  proxyProtocolMissingInCluster: {
    summary_one:
      '{{service}} is annotated for PROXY protocol ({{annotation}}), but a connection from a pod in the cluster ({{clients}}) reaches it (port {{ports}}) without a PROXY header',
    summary_other:
      '{{service}} is annotated for PROXY protocol ({{annotation}}), but {{count}} connections from pods in the cluster ({{clients}}) reach it (port {{ports}}) without a PROXY header',
    explanation:
      'Only the cloud load balancer writes the PROXY header. A pod that connects to the Service’s ClusterIP, or to its load-balancer address (kube-proxy takes that address in the cluster itself unless the Service’s status gives it ipMode: Proxy), reaches the endpoints without passing the load balancer and sends no header, while the server, set up for the load balancer, expects one: it refuses these connections (“broken header”) or takes the first bytes of the request for the header. This is why a Service reachable from outside fails from inside the cluster.',
    suggestion:
      'Give clients in the cluster a port without PROXY protocol (a second listener on the server, and a Service port for it), send them through the load balancer’s hostname (ipMode: Proxy, or the provider’s hostname annotation), or let the server accept streams without the header from the pod network.',
  },
  lostTowardServer: {
    summary_one: 'A packet from {{client}} to {{server}} was seen at {{after}} and never at {{next}}',
    summary_other:
      '{{count}} packets toward the server ({{connections}} connections, the first from {{client}} to {{server}}) were seen at {{after}} and never at {{next}}',
    explanation:
      'Later packets of the same connections were seen at {{next}}, so these were dropped between the two points (a firewall or NetworkPolicy, an MTU limit, conntrack dropping an INVALID packet, rp_filter, a full queue), or the capture at {{next}} missed them.',
    suggestion:
      'Look at what lies between the two points: the rules and routes of the node in between, and its drop counters.',
  },
  lostTowardClient: {
    summary_one: 'A reply from {{server}} to {{client}} was seen at {{after}} and never at {{next}}',
    summary_other:
      '{{count}} replies toward the client ({{connections}} connections, the first from {{client}} to {{server}}) were seen at {{after}} and never at {{next}}',
    explanation:
      'Later replies of the same connections were seen at {{next}}, so these were dropped between the two points on the way back (a firewall, conntrack dropping an INVALID packet, rp_filter, a full queue), or the capture at {{next}} missed them.',
    suggestion: 'Look at what lies between the two points on the way back: rules, routes and drop counters.',
  },
  asymmetricPath: {
    summary_one:
      'The connection from {{client}} to {{server}} goes out through {{requestsAt}} and comes back through {{repliesAt}}',
    summary_other:
      '{{count}} connections (the first from {{client}} to {{server}}) go out through {{requestsAt}} and come back through {{repliesAt}}',
    explanation:
      'Requests and replies take different paths. Stateful devices on one path see only half the connection: conntrack marks the other half INVALID and may drop it, and NAT done on the way in is not undone on the way out.',
    suggestion:
      'Make replies return through the node that saw the request (routes, source-based routing, externalTrafficPolicy), or make sure nothing stateful sits on only one of the paths.',
  },
  clockSkew: {
    summary: 'The clock of {{capture}} is {{seconds}} s off {{reference}}',
    explanation:
      'The {{packets}} packets both captures saw bound the offset between their clocks (a packet cannot arrive before it was sent); the nodes’ clocks disagree by this much. podpath aligns the captures for tracing, but timestamps compared by hand across these captures are wrong by this much.',
    suggestion:
      'Keep node clocks synchronised (chrony or systemd-timesyncd) and check their offset (chronyc tracking).',
  },
  clockOneWay: {
    summary: 'The clock of {{capture}} could not be aligned with {{reference}}: taken as {{seconds}} s off',
    explanation:
      'The captures share packets going one way only, so the clock offset and the transit time cannot be told apart; podpath took the median difference ({{packets}} packets), and latencies between these captures are not to be trusted.',
    suggestion:
      'Capture both directions at both points (no one-way filters), and keep node clocks synchronised (chrony).',
  },
} as const satisfies TextCatalog;

export type FindingCode = keyof typeof FINDING_TEXT;

/** Every code a finding can have. */
export const FINDING_CODES = Object.keys(FINDING_TEXT) as FindingCode[];

/** The three sentences of a finding. */
export type FindingPart = 'summary' | 'explanation' | 'suggestion';

const ROOT: TextCatalog = { finding: FINDING_TEXT };

/** The English of one part of a finding. */
export function findingText(code: FindingCode, part: FindingPart, params: TextParams): string {
  return fillTemplate(ROOT, `finding.${code}.${part}`, params);
}
