export { FlowTable, FlowKind, type IcmpErrorDetail } from './flow-table.js';
export { ContextTable, type ContextTunnel, type FlowContext } from './context.js';
