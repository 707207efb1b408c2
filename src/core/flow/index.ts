export {
  FlowTable,
  FLOW_PORTS,
  FLOW_ECHO,
  FLOW_ADDRESSES,
  FLOW_ARP,
  FLOW_ETHERNET,
  FLOW_ICMP_ERROR,
  type IcmpErrorDetail,
} from './flow-table.js';
export { ContextTable, type ContextTunnel, type FlowContext } from './context.js';
