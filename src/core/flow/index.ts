export {
  FlowTable,
  FlowKind,
  type FlowTableParts,
  type IcmpErrorDetail,
  type ProxyHeader,
} from './flow-table.js';
export { ContextTable, type ContextTunnel, type FlowContext } from './context.js';
