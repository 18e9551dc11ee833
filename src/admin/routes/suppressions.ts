import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { CsvError } from 'csv-parse';
import type { Request, Response } from 'express';
import type { StatusFilter } from '../../domain/records.js';
import { AppError, ErrorCode } from '../../errors.js';
import {
  csvRows,
  drained,
  UnreadableCsv,
  REJECTS_CSV_HEADER,
  rejectCsvLine,
  writeSuppressionCsv,
} from '../../csv/suppression-csv.js';
import { CSRF_FIELD } from '../layout.js';
import {
  dayBound,
  field,
  filterText,
  lookupField,
  position,
  sameToken,
  send,
  sessionOf,
  statusChoice,
} from '../form.js';
import { errorPage } from '../pages/error.js';
import {
  importPage,
  suppressionsPage,
  SUPPRESSION_QUERY_FIELDS,
  type SuppressionQuery,
} from '../pages/suppressions.js';
import type { RouteContext } from './context.js';

function readQuery(source: unknown): { query: SuppressionQuery; filter: StatusFilter } {
  const query = Object.fromEntries(
    SUPPRESSION_QUERY_FIELDS.map((k) => [k, field(source, k)]),
  ) as unknown as SuppressionQuery;
  const filter: StatusFilter = {
    unsubscribed: statusChoice(query.status),
    reasonContains: filterText(query.reason, 'Reason'),
    sourceContains: filterText(query.source, 'Source'),
    addressContains: filterText(query.address, 'Address'),
    changedFrom: dayBound(query.from, 'Recorded from', false),
    changedTo: dayBound(query.to, 'Recorded to', true),
  };
  return { query, filter };
}

function jobId(req: Request): number {
  const id = position(String(req.params.id), 'import');
  if (id === null) throw new AppError(ErrorCode.BAD_PARAMETER, 'No such import');
  return id;
}

const NOT_UNDERSTOOD = { refused: 400, message: 'The upload was not understood.' };

/**
 * Receives the upload: the form's CSRF field comes before the file (browsers send fields in
 * page order), so a file without a valid token is never written anywhere.
 */
function receiveUpload(
  req: Request,
  res: Response,
  maxBytes: number,
): Promise<{ file: string; dir: string; name: string } | { refused: number; message: string }> {
  const csrf = sessionOf(res).csrfToken;
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // Browsers send a file's name as UTF-8 bytes; busboy's default reads them as Latin-1.
        defParamCharset: 'utf8',
        limits: { files: 1, fields: 4, fieldSize: 256, fileSize: maxBytes, parts: 6 },
      });
    } catch {
      resolve(NOT_UNDERSTOOD);
      return;
    }
    let tokenOk = false;
    let refusal: { refused: number; message: string } | null = null;
    let saved: { file: string; dir: string; name: string } | null = null;
    let writing: Promise<void> = Promise.resolve();
    parser.on('field', (name, value) => {
      if (name === CSRF_FIELD) tokenOk = sameToken(csrf, value);
    });
    parser.on('file', (_name, stream, info) => {
      // busboy fails a part's stream when the form ends inside it (cut short, or its client
      // gone): unheard, that error ended the process.
      stream.on('error', () => {
        refusal ??= NOT_UNDERSTOOD;
      });
      if (!tokenOk || saved) {
        refusal ??= {
          refused: 403,
          message: 'This form did not carry a valid token. Reload the page and try again.',
        };
        stream.resume();
        return;
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-import-'));
      const file = path.join(dir, 'upload.csv');
      saved = { file, dir, name: info.filename ?? '' };
      const out = fs.createWriteStream(file, { mode: 0o600 });
      stream.on('limit', () => {
        refusal = {
          refused: 413,
          message: `The file is larger than the page accepts (${Math.round(maxBytes / 1048576)} MiB, ADMIN_UPLOAD_MAX_MB); the command line's suppressions import takes any size.`,
        };
      });
      // A part that fails leaves its copy unfinished, refused and removed below; a copy that
      // cannot be written (a full disk) fails the request.
      writing = pipeline(stream, out).catch((error: unknown) => {
        if (!refusal) throw error;
      });
    });
    parser.on('error', () => {
      refusal ??= NOT_UNDERSTOOD;
    });
    // A client gone before the end of its form (or its connection timed out): the parser
    // would wait for the rest for ever, and the partial copy would stay on disk.
    req.once('close', () => {
      if (!req.complete) parser.destroy(new Error('The upload ended before its form did'));
    });
    parser.on('close', () => {
      writing.then(
        () => {
          if (refusal || !saved) {
            if (saved) fs.rmSync(saved.dir, { recursive: true, force: true });
            resolve(refusal ?? { refused: 400, message: 'Choose a CSV file to import.' });
          } else resolve(saved);
        },
        (error: unknown) => {
          if (saved) fs.rmSync(saved.dir, { recursive: true, force: true });
          reject(error as Error);
        },
      );
    });
    req.pipe(parser);
  });
}

/**
 * Starts a CSV download's answer; true when the request is a HEAD, then answered whole: its
 * headers alone, without a row read (or an export logged) for node to throw away.
 */
function csvHead(req: Request, res: Response, fileName: string): boolean {
  res.status(200);
  res.type('text/csv; charset=utf-8');
  res.set('Content-Disposition', `attachment; filename="${fileName}"`);
  if (req.method !== 'HEAD') return false;
  res.end();
  return true;
}

/** The suppressions home: filtered list, CSV export, CSV import with progress and rejects. */
export function suppressionRoutes(context: RouteContext): void {
  const { router, services, logger, listPageSize, csvMaxRowChars } = context;
  router.get('/suppressions', async (req, res) => {
    const { query, filter } = readQuery(req.query);
    const afterAt = position(field(req.query, 'after_at'), 'after_at', Number.MAX_SAFE_INTEGER);
    const afterKey = lookupField(req.query, 'after_key');
    const after =
      afterAt !== null && afterKey !== '' ? { changedAt: afterAt, emailKey: afterKey } : null;
    const [list, imports] = await Promise.all([
      services.suppressions.list(filter, after, listPageSize),
      services.suppressionImports.recent(5),
    ]);
    send(
      res,
      200,
      suppressionsPage({
        session: sessionOf(res),
        query,
        filter,
        list,
        first: after === null,
        imports,
      }),
    );
  });

  router.get('/suppressions/export.csv', async (req, res) => {
    const { filter } = readQuery(req.query);
    if (csvHead(req, res, 'suppressions.csv')) return;
    logger.info({ operator: sessionOf(res).operator }, 'operator exported suppressions');
    await writeSuppressionCsv(services.suppressions.exportFiltered(filter), res);
    res.end();
  });

  router.post('/suppressions/import', async (req, res) => {
    const session = sessionOf(res);
    const upload = await receiveUpload(req, res, context.uploadMaxBytes);
    if ('refused' in upload) {
      if (upload.refused === 403)
        logger.warn({ operator: session.operator }, 'admin upload without CSRF token');
      send(
        res,
        upload.refused,
        errorPage({ status: upload.refused, message: upload.message, session }),
      );
      return;
    }
    const size = fs.statSync(upload.file).size;
    const progress = { bytes: 0 };
    const id = await services.suppressionImports.start(
      csvRows(upload.file, progress, csvMaxRowChars),
      session.operator,
      () => Math.min(1, progress.bytes / Math.max(size, 1)),
      {
        fileName: upload.name,
        onEnd: () => fs.rmSync(upload.dir, { recursive: true, force: true }),
        describe: (error) =>
          error instanceof CsvError
            ? `The CSV could not be read: ${error.message}. What was imported before stays.`
            : error instanceof UnreadableCsv
              ? error.message
              : null,
        onError: (err) => logger.error({ err, importId: 'upload' }, 'import failed'),
      },
    );
    logger.info(
      { operator: session.operator, importId: id, bytes: size },
      'operator started an import',
    );
    res.redirect(303, `/admin/suppressions/imports/${id}`);
  });

  router.get('/suppressions/imports/:id', async (req, res) => {
    const status = await services.suppressionImports.status(jobId(req));
    const refresh = field(req.query, 'refresh') !== 'off';
    send(res, 200, importPage({ session: sessionOf(res), status, refresh }));
  });

  router.get('/suppressions/imports/:id/rejects.csv', async (req, res) => {
    const id = jobId(req);
    await services.suppressionImports.status(id);
    if (csvHead(req, res, `import-${id}-rejects.csv`)) return;
    res.write(REJECTS_CSV_HEADER);
    for await (const r of services.suppressionImports.rejects(id)) {
      if (!res.write(rejectCsvLine(r)) && !(await drained(res))) break;
    }
    res.end();
  });
}
