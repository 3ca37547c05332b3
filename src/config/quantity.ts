import { quantityBytes } from '../../model/kubernetes-updates.js';

/** Bytes of a Kubernetes quantity in binary units ("512Mi", "1.5Gi"), the only ones the inputs take; NaN for anything else. */
export function parseQuantity(quantity: string): number {
  return /^[0-9]+(?:\.[0-9]+)?(Ki|Mi|Gi|Ti)$/.test(quantity) ? Math.floor(quantityBytes(quantity)) : Number.NaN;
}
