import { ValidationError } from './domain-error';

export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  page: number;
  size: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  size: number;
  totalPages: number;
}

export function pageRequest(page = 1, size = 20): PageRequest {
  const errors = [];
  if (!Number.isInteger(page) || page < 1) errors.push({ field: 'page', message: 'must be an integer >= 1' });
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) errors.push({ field: 'size', message: `must be an integer between 1 and ${MAX_PAGE_SIZE}` });
  if (errors.length) throw new ValidationError(errors);
  return { page, size };
}

export function toPage<T>(items: T[], total: number, request: PageRequest): Page<T> {
  return { items, total, page: request.page, size: request.size, totalPages: Math.ceil(total / request.size) };
}
