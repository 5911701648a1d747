export { ControlPlane, type ControlPlaneOptions } from './control-plane.ts';
