// Types of validation-record.cjs (plain CommonJS so that the cdk8s plugin can load it directly).

export declare function splitYamlDocuments(text: string): string[];

export interface ValidatorIdentityOptions {
  /** The lib/validate folder (its *.ts sources are hashed). */
  readonly validateDir: string;
  /** The resolved schema folder (every file in it is hashed). */
  readonly schemasDir: string;
  readonly unvalidatedKinds?: readonly string[];
}

export declare function validatorIdentity(options: ValidatorIdentityOptions): string | undefined;

export interface WriteValidationRecordOptions {
  readonly cacheDir: string;
  /** The folder the files were written to (CDK8S_OUTDIR). */
  readonly outdir: string;
  readonly identity: string;
  /** Path relative to outdir → the exact text written. Every document of it passed validation. */
  readonly files: ReadonlyMap<string, string>;
  /** Document text → its NOT VALIDATED line, for documents accepted without a schema. */
  readonly notValidated?: ReadonlyMap<string, string>;
}

export declare function writeValidationRecord(options: WriteValidationRecordOptions): string | undefined;

export interface TrustedDocument {
  readonly manifest: string;
  readonly digest: string;
  /** The app's NOT VALIDATED line for it, if it had no schema. */
  readonly notValidated?: string;
}

export interface DocumentsToValidate {
  readonly manifest: string;
  /** The whole file, or one document of it. */
  readonly text: string;
  /** Which document of the file `text` is; undefined for the whole file. */
  readonly documentIndex?: number;
  /** Why it is not trusted. */
  readonly reason: string;
}

export interface ManifestPartition {
  readonly recordFile?: string;
  /** Why nothing was trusted; undefined when a record was used. */
  readonly noTrustReason?: string;
  readonly trusted: TrustedDocument[];
  readonly toValidate: DocumentsToValidate[];
}

export declare function partitionManifests(options: {
  readonly cacheDir: string;
  readonly identity: string | undefined;
  readonly manifests: readonly string[];
}): ManifestPartition;

export declare function defaultCacheDir(validateDir: string): string;
export declare function recordFile(cacheDir: string, outdir: string): string;
