import { Construct } from 'constructs';
import { ImageCatalog } from '../../../imports/postgresql.cnpg.io';

export interface CnpgImageCatalogProps {
  readonly name: string;
  readonly namespace: string;
  /** PostgreSQL major → pinned image. */
  readonly images: Readonly<Record<number, string>>;
  readonly labels: Record<string, string>;
}

/**
 * A CloudNativePG `ImageCatalog` (postgresql.cnpg.io/v1): the clusters of an environment name
 * a major version, the catalog names the image. A minor update is one changed line here and
 * CloudNativePG rolls every cluster that uses the major (cloudnative-pg@v1.30.0
 * docs/src/image_catalog.md).
 */
export class CnpgImageCatalog extends Construct {
  readonly catalogName: string;

  constructor(scope: Construct, id: string, props: CnpgImageCatalogProps) {
    super(scope, id);
    this.catalogName = props.name;
    new ImageCatalog(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        images: Object.entries(props.images)
          .map(([major, image]) => ({ major: Number(major), image }))
          .sort((a, b) => a.major - b.major),
      },
    });
  }
}
