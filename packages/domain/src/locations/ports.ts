import type { Page, PageRequest } from '../shared/paging';
import type { Location } from './location';

export interface LocationRepository {
  findById(id: string): Promise<Location | null>;
  /** The oldest location with exactly this name (v1's free-text locations are found by name). */
  findByName(name: string): Promise<Location | null>;
  list(request: PageRequest & { search?: string }): Promise<Page<Location>>;
  insert(location: Location): Promise<void>;
}
