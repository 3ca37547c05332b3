const binaryUnits: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Bytes of a Kubernetes quantity in binary units ("512Mi", "1.5Gi"); NaN for anything else. */
export function parseQuantity(quantity: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti)$/.exec(quantity);
  if (!match) return Number.NaN;
  return Math.floor(Number(match[1]) * binaryUnits[match[2]!]!);
}
